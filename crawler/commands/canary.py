"""`scrapy canary [OUTLET ...]`: fetch each outlet's newest article through its
spider and check it, and read the outlet's fixture pages with the current
parser (crawler/alarms/canary.py). A failure is an alarm: an `alerts` row
(kind `canary`, no run), a WARNING line, the notification, exit status 3."""
from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.conf import arglist_to_dict

from crawler.alarms.canary import CanaryResult, canary_spider, fixture_problems, newest_problems
from crawler.alarms.checks import Alarm
from crawler.alarms.notify import Notifier
from crawler.alarms.store import as_messages, record_alarms
from crawler.commands import ALARMS_RAISED, DATABASE_UNUSABLE, database_ready, quiet_log
from crawler.outlets import all_outlets, by_slug
from db.session import cause, database_url, make_engine, project_root

logger = logging.getLogger("crawler.alarms.canary")

# The canary reads; it stores nothing and leaves no crawl state, run or archive behind.
CANARY_SETTINGS = {
    "ITEM_PIPELINES": {}, "INCREMENTAL_ENABLED": False, "CRAWL_RUNS_ENABLED": False, "ALARMS_ENABLED": False,
    "WARC_ENABLED": False,
}


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options] [OUTLET ...]"

    def short_desc(self) -> str:
        return "Check that each outlet's newest article and its fixture pages still parse"

    def long_desc(self) -> str:
        return (
            "For each OUTLET (default: all): fetch the newest article its feeds and sitemaps "
            "name, through its spider, and check it has a title, a body of prose, a publication "
            "date and the fields its alarm floors expect; then read its fixture pages "
            "(CANARY_FIXTURES_DIR) with the current parser and compare them with their "
            "expectations. Nothing is stored. A failure is an alarm (alerts row, WARNING, "
            "notification). Exit status 0 if every outlet passed, 3 if one failed, 2 if the "
            "database cannot be used. -a NAME=VALUE goes to every spider (e.g. -a since=...)."
        )

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE",
                            help="set a spider argument (may be repeated)")

    def process_options(self, args, opts):
        super().process_options(args, opts)
        try:
            opts.spargs = arglist_to_dict(opts.spargs)
        except ValueError:
            raise UsageError("Invalid -a value, use -a NAME=VALUE", print_help=False)
        quiet_log(self.settings)
        for name, value in CANARY_SETTINGS.items():
            self.settings.set(name, value, priority=SETTINGS_PRIORITIES["cmdline"] + 1)

    def run(self, args, opts):
        unknown = [slug for slug in args if by_slug(slug) is None]
        if unknown:
            raise UsageError(f"unknown outlet {', '.join(unknown)} (known: "
                             f"{', '.join(o.slug for o in all_outlets())})", print_help=False)
        outlets = [by_slug(slug) for slug in args] if args else list(all_outlets())
        if not database_ready(self.settings):
            self.exitcode = DATABASE_UNUSABLE
            return
        loader = self.crawler_process.spider_loader
        crawlers = {}
        for outlet in outlets:
            crawler = self.crawler_process.create_crawler(canary_spider(loader.load(outlet.slug)))
            self.crawler_process.crawl(crawler, **opts.spargs)
            crawlers[outlet.slug] = crawler
        self.crawler_process.start()

        fixtures_dir = project_root() / self.settings.get("CANARY_FIXTURES_DIR", "tests/sites")
        results = []
        for outlet in outlets:
            spider = crawlers[outlet.slug].spider
            if spider is None:
                results.append(CanaryResult(outlet.slug, None, problems=["the spider did not start"]))
                continue
            result = CanaryResult(outlet.slug, spider.newest)
            result.problems += newest_problems(spider.newest, outlet, self.settings)
            result.fixtures_checked, fixture_findings = fixture_problems(outlet, fixtures_dir, self.settings)
            result.problems += fixture_findings
            results.append(result)
        for result in results:
            print(result.line())
        sys.stdout.flush()
        failed = [r for r in results if not r.passed]
        if failed:
            self.raise_alarms(failed)
            self.exitcode = ALARMS_RAISED

    def raise_alarms(self, failed: list[CanaryResult]) -> None:
        raised_at = datetime.now(timezone.utc)
        notifier = Notifier.from_settings(self.settings)
        engine = make_engine(database_url(self.settings), self.settings.getfloat("DATABASE_TIMEOUT", 30.0))
        try:
            for result in failed:
                alarms = [Alarm("canary", None, None, "; ".join(result.problems))]
                try:
                    messages = record_alarms(engine, result.outlet, None, alarms, raised_at)
                except Exception as error:
                    logger.error("Could not store the canary alarm of %s: %s", result.outlet, cause(error))
                    messages = as_messages(result.outlet, None, alarms, raised_at)
                logger.warning("Alarm for %s: canary: %s", result.outlet, alarms[0].message)
                for message in messages:
                    notifier.send({**message, "spider": result.outlet})
        finally:
            engine.dispose()
