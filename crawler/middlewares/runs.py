"""Crawl runs: a `crawl_runs` row for each run, and a JOBDIR that survives a crash.

`CrawlRunRecorder` (extension) inserts the row when the spider opens and
completes it when it closes: end time, close reason, requests, responses,
304s, skipped known articles, new / updated / unchanged / rejected / removed
articles, bytes, errors by reason and every stat of the run (JSON). A run
killed hard keeps `finished_at` NULL.

`ResumableScheduler` (the `SCHEDULER`) is Scrapy's scheduler with a rule for
the job directory (`-s JOBDIR=...`). Scrapy saves its request queue only when
it closes cleanly, while the record of requests seen (`requests.seen`) grows
as the crawl goes, so after a hard kill (SIGKILL, a second Ctrl-C, a power
cut) a stock resume believes the lost requests done and never makes them.
This scheduler writes the close reason to `JOBDIR/run.closed` after a clean
close, and at the next start:

- previous run paused (Ctrl-C once, SIGTERM, a CLOSESPIDER_* limit): resume
  its queue, as Scrapy does;
- previous run finished: start a new job (a finished JOBDIR would otherwise
  filter every request of the next scheduled run);
- no record of a clean close: the queue is lost or damaged, so start again
  from the entry points. Nothing is fetched twice in vain: articles stored
  before the crash are known to crawl_state (written with them) and are
  skipped or asked for conditionally; the ones in the last unflushed batch
  are not, and are fetched again.

A request counts as done in `requests.seen` as soon as it is made, before its
article is stored. Pages the database did not take are spooled by the storage
pipeline (and stored by the next run), so they are safe; if some could not even
be spooled (`articles/storage_lost`), the scheduler forgets the seen requests
of the job at its close, and the resumed job makes them again.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

from scrapy import signals
from scrapy.core.scheduler import Scheduler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.job import job_dir
from scrapy.utils.misc import load_object

from db.session import DatabaseUnavailable, cause, database_url, open_database
from db.store import CrawlRunLog, utcnow

logger = logging.getLogger(__name__)

CLOSE_RECORD = "run.closed"
FINISHED = "finished"

# crawl_runs counter -> the Scrapy stat it copies (`requests` is counted by requests_sent).
RUN_COUNTERS = {
    "responses": "downloader/response_count",
    "responses_304": "downloader/response_status_count/304",
    "skipped": "incremental/skipped",
    "new": "articles/new",
    "updated": "articles/updated",
    "unchanged": "articles/unchanged",
    "rejected": "articles/rejected",
    "removed": "articles/removed",
    "response_bytes": "downloader/response_bytes",
}


def run_errors(stats: dict) -> dict[str, int]:
    """What failed in a run, by reason:
    http/<status>      responses with an error status the spider did not handle
                       (after retries);
    download/<error>   requests that failed with a network error, after retries;
    spider/<error>     exceptions raised in spider callbacks;
    discovery/<kind>   feeds, sitemaps or listings the spider could not read
                       (stat discovery/errors/<kind>, crawler/spiders/base.py);
    storage_error, storage_lost   articles the database refused, pages neither
                       stored nor spooled (see pipelines/store.py);
    not_stored         pages left in the spool (or lost) when the run ended.
    Requests dropped on purpose (robots.txt, skipped known articles, 304s) are not errors."""
    errors: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("httperror/response_ignored_status_count/"):
            errors[f"http/{key.rsplit('/', 1)[1]}"] = value
        elif key.startswith("spider_exceptions/") and key != "spider_exceptions/count":
            errors[f"spider/{key.split('/', 1)[1]}"] = value
        elif key.startswith("discovery/errors/"):
            errors[f"discovery/{key.rsplit('/', 1)[1]}"] = value
        elif key.startswith("downloader/exception_type_count/"):
            path = key.split("/", 2)[2]
            if is_ignore_request(path):
                continue
            # Failures a retry recovered from are not errors of the run.
            failed = value - stats.get(f"retry/reason_count/{path}", 0)
            if failed > 0:
                errors[f"download/{path.rsplit('.', 1)[-1]}"] = failed
    for key, reason in (("articles/storage_errors", "storage_error"), ("articles/storage_lost", "storage_lost"),
                        ("articles/not_stored", "not_stored")):
        if stats.get(key):
            errors[reason] = stats[key]
    return errors


def requests_sent(stats: dict) -> int:
    """Requests that went out: each got a response or failed on the network.
    (downloader/request_count also counts requests dropped before sending, and
    twice a request that a middleware rewrites, as the fixture routing does.)"""
    failed = sum(
        value for key, value in stats.items()
        if key.startswith("downloader/exception_type_count/") and not is_ignore_request(key.split("/", 2)[2])
    )
    return int(stats.get("downloader/response_count", 0)) + int(failed)


def is_ignore_request(path: str) -> bool:
    try:
        exception = load_object(path)
    except (ImportError, NameError, ValueError, AttributeError):
        return False
    return isinstance(exception, type) and issubclass(exception, IgnoreRequest)


class CrawlRunRecorder:
    def __init__(self, crawler, database: str, timeout: float = 30.0):
        self.crawler = crawler
        self.database = database
        self.timeout = timeout
        self.log: CrawlRunLog | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        # On in the commands that crawl into the database (crawler/commands).
        if not crawler.settings.getbool("CRAWL_RUNS_ENABLED", False):
            raise NotConfigured
        recorder = cls(crawler, database_url(crawler.settings), crawler.settings.getfloat("DATABASE_TIMEOUT", 30.0))
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider) -> None:
        # The run log must not stop a crawl.
        if self.crawler.stats.get_value("storage/database_unavailable"):
            return  # the storage pipeline said why, and the spider closes
        try:
            self.log = CrawlRunLog(open_database(self.database, self.timeout))
            self.run_id = self.log.start(spider.name, utcnow(), job_dir(self.crawler.settings))
            # The run's alarms name it (crawler/alarms).
            self.crawler.stats.set_value("crawl_run/id", self.run_id)
        except DatabaseUnavailable as error:
            logger.warning("Could not record the start of the run in crawl_runs: %s", error)
        except Exception as error:
            logger.warning("Could not record the start of the run in crawl_runs: %s", cause(error))

    def spider_closed(self, spider, reason: str) -> None:
        if self.log is None or self.run_id is None:
            return
        stats = self.crawler.stats.get_stats()
        counters = {column: int(stats.get(key, 0)) for column, key in RUN_COUNTERS.items()}
        counters["requests"] = requests_sent(stats)
        try:
            self.log.finish(self.run_id, finished_at=utcnow(), finish_reason=reason, counters=counters,
                            errors=run_errors(stats), stats=stats)
        except Exception as error:
            logger.warning("Could not record the end of run %s in crawl_runs: %s", self.run_id, cause(error))
        finally:
            self.log.engine.dispose()


class ResumableScheduler(Scheduler):
    """Scrapy's scheduler, resuming a JOBDIR only after a clean close (see the module docstring)."""

    @classmethod
    def from_crawler(cls, crawler):
        jobdir = job_dir(crawler.settings)
        if jobdir:
            prepare_jobdir(Path(jobdir))
        return super().from_crawler(crawler)

    def close(self, reason: str):
        result = super().close(reason)
        if self.dqdir:
            # After the queue and the seen requests are saved (super().close), and
            # after the item pipelines closed (the engine closes them first).
            jobdir = Path(self.dqdir).parent
            lost = self.crawler.stats.get_value("articles/storage_lost", 0)
            if lost:
                logger.warning("%d pages were neither stored nor spooled: forgetting the requests seen in %s, "
                               "so the resumed job makes them again", lost, jobdir)
                (jobdir / "requests.seen").unlink(missing_ok=True)
            jobdir.joinpath(CLOSE_RECORD).write_text(reason + "\n", encoding="utf-8")
        return result


def prepare_jobdir(jobdir: Path) -> None:
    """Keep the saved requests of a paused run; drop those of a finished or
    crashed one. The close record is removed, so a crash of this run shows."""
    record = jobdir / CLOSE_RECORD
    previous = record.read_text(encoding="utf-8").strip() if record.exists() else None
    record.unlink(missing_ok=True)
    queue, seen = jobdir / "requests.queue", jobdir / "requests.seen"
    if not (queue.exists() or seen.exists()):
        return
    if previous is not None and previous != FINISHED:
        logger.info("Resuming the run paused in %s (it closed with reason %r)", jobdir, previous)
        return
    if previous == FINISHED:
        logger.info("The run in %s finished: starting a new one", jobdir)
    else:
        logger.warning(
            "The previous run in %s did not close cleanly: its saved queue is incomplete, so this run "
            "starts again from the entry points (stored articles are skipped or re-checked, not stored twice)",
            jobdir,
        )
    shutil.rmtree(queue, ignore_errors=True)
    seen.unlink(missing_ok=True)
