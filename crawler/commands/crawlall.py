"""`scrapy crawlall`: every outlet spider in one process, then the per-outlet summary."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.conf import arglist_to_dict

from crawler.alarms.extension import ALARMS_COUNT
from crawler.commands import (
    ALARMS_RAISED, CRAWL_COMMAND_SETTINGS, DATABASE_UNUSABLE, alarm_lines, database_ready, database_unusable,
    quiet_log,
)
from crawler.outlets import all_outlets
from crawler.summary import format_summary, storage_failed, storage_lines


def merged_stats(all_stats: list[dict]) -> dict:
    """The numeric stats of several crawls added up (the summary reads counters only)."""
    total: Counter = Counter()
    for stats in all_stats:
        for key, value in stats.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total[key] += value
    return dict(total)


def failed(stats: dict) -> str | None:
    """Why a crawl counts as failed, or None: it did not finish normally, a
    callback raised (a bug, not a bad page: those are rejected pages), or the
    database did not take all its pages."""
    reason = stats.get("finish_reason")
    if reason != "finished":
        return f"finish reason {reason or 'unknown'}"
    errors = sum(v for k, v in stats.items() if k.startswith("spider_exceptions/") and isinstance(v, int))
    if errors:
        return f"{errors} spider exceptions"
    if storage_failed(stats):
        return "pages not stored"
    return None


class Command(ScrapyCommand):
    requires_project = True
    default_settings = CRAWL_COMMAND_SETTINGS

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Run every outlet spider in one process and print a per-outlet summary"

    def long_desc(self) -> str:
        return (
            "Run the spider of every outlet described in crawler/outlets (not the generic "
            "one) at the same time in one process, into the database of DATABASE_URL. Then "
            "print the summary table of `scrapy replay`: new / updated / unchanged / "
            "rejected / not stored articles per outlet. Exit status 2 if the database cannot "
            "be used (checked first); 1 if a spider failed to start, did not finish normally, "
            "raised errors or left pages not stored (spooled for the next run); 3 if an "
            "outlet's run raised alarms (crawler/alarms), and nothing worse. -a NAME=VALUE "
            "goes to every spider (e.g. -a since=2024-11-01). The log shows warnings only "
            "unless -L INFO."
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

    def run(self, args, opts):
        if args:
            raise UsageError("crawlall takes no arguments")
        if self.crawler_process is None:
            raise UsageError("no crawler process")
        if not database_ready(self.settings):
            self.exitcode = DATABASE_UNUSABLE
            return
        # One job directory per spider: a shared one would mix their queues.
        jobdir = self.settings.get("JOBDIR")
        crawlers = {}
        for outlet in all_outlets():
            crawler = self.crawler_process.create_crawler(outlet.slug)
            if jobdir:
                # Above "cmdline", or crawl() merges the shared -s JOBDIR back in.
                crawler.settings.set("JOBDIR", str(Path(jobdir) / outlet.slug),
                                     priority=SETTINGS_PRIORITIES["cmdline"] + 1)
            self.crawler_process.crawl(crawler, **opts.spargs)
            crawlers[outlet.slug] = crawler
        self.crawler_process.start()

        # A spider that could not start (bad arguments, broken settings) has no stats.
        all_stats = {name: c.stats.get_stats() for name, c in crawlers.items() if c.spider is not None}
        if any(database_unusable(stats) for stats in all_stats.values()):
            self.exitcode = DATABASE_UNUSABLE
            return
        print(format_summary(merged_stats(list(all_stats.values()))))
        problems = {name: failed(all_stats[name]) if name in all_stats else "did not start" for name in crawlers}
        for name, why in problems.items():
            if why:
                print(f"{name}: failed ({why})")
        for name, stats in all_stats.items():
            for line in alarm_lines(stats, f"{name}: "):
                print(line)
            for line in storage_lines(stats):
                print(f"{name}: {line}")
        if self.crawler_process.bootstrap_failed or any(problems.values()):
            self.exitcode = 1
        elif any(stats.get(ALARMS_COUNT) for stats in all_stats.values()):
            self.exitcode = ALARMS_RAISED
        sys.stdout.flush()
