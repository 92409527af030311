"""`RunAlarms`: the extension that judges each crawl of an outlet when it closes.

During the crawl it counts what the run measures need and Scrapy does not:
the field coverage of the article pages read (`coverage/pages`,
`coverage/fields/<field>`) and the feeds and sitemaps that answered or not
(`entry_points/answered`, `entry_points/failed`); these stats go into the
run's `crawl_runs.stats`, so later runs compare with them. When the spider
closes (after the storage pipeline and the crawl_runs row), the run is checked
against its thresholds and the outlet's recent runs (checks.py). Each alarm is
an `alerts` row, a WARNING line and a notification; `alarms/count` tells the
crawl commands to exit with status 3.

Only the runs of outlet spiders that the crawl commands record in crawl_runs
are judged (the generic spider has no outlet whose history means anything;
`scrapy parse`, `shell` and `check` are no crawls), and not a paused run
(close reason `shutdown`): it is incomplete by design.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.alarms.checks import Thresholds, evaluate
from crawler.alarms.measures import (
    COVERAGE_FIELD, COVERAGE_FIELDS, COVERAGE_PAGES, ENTRY_POINTS_ANSWERED, ENTRY_POINTS_FAILED, has_value,
    is_fetch_failure, run_measures,
)
from crawler.alarms.notify import Notifier
from crawler.alarms.store import as_messages, record_alarms, recent_runs
from crawler.items import ArticleItem, RejectedPage
from db.session import cause, database_url, make_engine

logger = logging.getLogger(__name__)

ALARMS_COUNT = "alarms/count"
ALARMS_MESSAGES = "alarms/messages"
ENTRY_POINT_KINDS = ("feed", "sitemap")


class RunAlarms:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.outlet = None
        self.answered: set[str] = set()
        self.failed: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ALARMS_ENABLED", True):
            raise NotConfigured
        if getattr(crawler.spidercls, "outlet", None) is None:
            raise NotConfigured  # not an outlet spider
        if not crawler.settings.getbool("CRAWL_RUNS_ENABLED", False):
            raise NotConfigured  # not a crawl command: parse, shell, check
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider) -> None:
        self.outlet = spider.outlet
        self.stats.set_value(COVERAGE_PAGES, 0)

    # --- during the crawl ------------------------------------------------------------

    def item_scraped(self, item, spider) -> None:
        if isinstance(item, RejectedPage):
            if not is_fetch_failure(item.reason):
                self.stats.inc_value(COVERAGE_PAGES)
        elif isinstance(item, ArticleItem):
            self.stats.inc_value(COVERAGE_PAGES)
            for name in COVERAGE_FIELDS:
                if has_value(getattr(item, name, None)):
                    self.stats.inc_value(COVERAGE_FIELD + name)

    def request_scheduled(self, request, spider) -> None:
        # Until an answer comes (a retry schedules it again).
        if request.meta.get("discovery") in ENTRY_POINT_KINDS:
            self.failed.setdefault(request.url, "no answer")
            self._entry_point_stats()

    def response_received(self, response, request, spider) -> None:
        if request.meta.get("discovery") not in ENTRY_POINT_KINDS:
            return
        if response.status < 400:
            self.answered.add(request.url)
            self.failed.pop(request.url, None)
        else:
            self.failed[request.url] = f"HTTP {response.status}"
        self._entry_point_stats()

    def _entry_point_stats(self) -> None:
        self.stats.set_value(ENTRY_POINTS_ANSWERED, sorted(self.answered))
        self.stats.set_value(ENTRY_POINTS_FAILED, {url: what for url, what in sorted(self.failed.items())
                                                   if url not in self.answered})

    # --- at the end ----------------------------------------------------------------------

    def spider_closed(self, spider, reason: str) -> None:
        self.stats.set_value(ALARMS_COUNT, 0)
        if reason == "shutdown" or self.stats.get_value("storage/database_unavailable"):
            return
        settings = self.crawler.settings
        limits = Thresholds.from_settings(settings, self.outlet.alarms)
        run_id = self.stats.get_value("crawl_run/id")
        engine = None
        try:
            engine = make_engine(database_url(settings), settings.getfloat("DATABASE_TIMEOUT", 30.0))
            history = recent_runs(engine, spider.name, run_id, limits.history_runs)
        except Exception as error:
            logger.error("Could not read the recent runs of %s: %s; judging this run by the floors only",
                         spider.name, cause(error))
            history = []
        declared = (*self.outlet.feeds, *self.outlet.sitemaps)
        alarms = evaluate(run_measures(self.stats.get_stats()), history, limits, declared)
        self.stats.set_value(ALARMS_COUNT, len(alarms))
        if not alarms:
            if engine is not None:
                engine.dispose()
            return
        raised_at = datetime.now(timezone.utc)
        try:
            if engine is None:
                raise RuntimeError("no database")
            messages = record_alarms(engine, self.outlet.slug, run_id, alarms, raised_at)
        except Exception as error:
            logger.error("Could not store %d alarms in alerts: %s", len(alarms), cause(error))
            messages = as_messages(self.outlet.slug, run_id, alarms, raised_at)
        finally:
            if engine is not None:
                engine.dispose()
        self.stats.set_value(ALARMS_MESSAGES, [f"{a.kind}: {a.message}" for a in alarms])
        notifier = Notifier.from_settings(settings)
        for alarm, message in zip(alarms, messages):
            logger.warning("Alarm for %s: %s: %s", self.outlet.slug, alarm.kind, alarm.message)
            failed = notifier.send({**message, "spider": spider.name})
            if failed:
                self.stats.inc_value("alarms/notify_failed", failed)
