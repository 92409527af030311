"""Scrapy commands of the project (COMMANDS_MODULE), and what they share:
the database is checked before a run starts (one line and exit status 2 when
it cannot be used), and pages it did not take make the exit status 1.

Exit status of the commands that crawl (crawl, crawlall, runspider), the most
serious first: 2 the database cannot be used; 1 pages not stored (spooled for
the next run) or a spider that failed; 3 the run was stored but raised alarms
(crawler/alarms); 0 otherwise."""
from __future__ import annotations

import atexit
import gc
import sys

from scrapy.settings import SETTINGS_PRIORITIES

from crawler.alarms.extension import ALARMS_COUNT, ALARMS_MESSAGES
from db.session import DatabaseUnavailable, database_url, open_database

# Exit status of a command whose database cannot be used.
DATABASE_UNUSABLE = 2
# Exit status of a crawl that raised alarms (and had nothing worse).
ALARMS_RAISED = 3
# Settings of the commands that run crawls into the database: they record
# their runs in crawl_runs (other commands, such as shell, parse and check,
# run spiders too but record nothing).
CRAWL_COMMAND_SETTINGS = {"CRAWL_RUNS_ENABLED": True}
# The log of a crawl on the console: warnings, the alarms and the summary table
# (Scrapy's INFO log with -L INFO). Above the project's settings, below -L / -s;
# a LOG_FILE (scrapyd's jobs) keeps the INFO log.
QUIET_LOG = {"LOG_LEVEL": "WARNING"}

# The interpreter's exit ends with a garbage collection over every object
# still alive: after a run, the heap of Scrapy, SQLAlchemy, lxml and the
# parsers (0.25 s of a one-file replay's 1.5, and of `scrapy version`'s 1.0).
# Freezing the heap skips that walk only: the exit handlers and the objects'
# own cleanup still run. What it leaves out, the finalizers of objects in
# reference cycles, nothing here relies on: the commands close their stores,
# files and logs themselves.
atexit.register(gc.freeze)


def quiet_log(settings) -> None:
    if settings.get("LOG_FILE"):
        return
    for name, value in QUIET_LOG.items():
        if settings.getpriority(name) < SETTINGS_PRIORITIES["cmdline"]:
            settings.set(name, value, priority=SETTINGS_PRIORITIES["project"] + 1)


def alarm_lines(stats: dict, prefix: str = "") -> list[str]:
    """`alarm: coverage/published_at: published_at in 0 of 4 article pages ...`"""
    return [f"{prefix}alarm: {message}" for message in stats.get(ALARMS_MESSAGES) or []]


def feeds_to_stdout(opts) -> bool:
    """`-o -` / `-O -`: the items go to stdout, so the summary goes to stderr."""
    outputs = [*(getattr(opts, "output", None) or []), *(getattr(opts, "overwrite_output", None) or [])]
    return any(o == "-" or o.startswith("stdout:") or o.startswith("-:") for o in outputs)


def database_ready(settings) -> bool:
    """Open (and migrate) the database a run will write to; if it cannot be
    used, say why on one line on stderr (password hidden)."""
    try:
        open_database(database_url(settings), settings.getfloat("DATABASE_TIMEOUT", 30.0)).dispose()
    except DatabaseUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return False
    return True


def database_unusable(stats: dict) -> bool:
    """The run's database could not be opened after the check (it went away
    meanwhile): the storage pipeline closed the spider and logged why."""
    if stats.get("storage/database_unavailable"):
        print(f"error: {stats['storage/database_unavailable']}", file=sys.stderr)
        return True
    return False


class StoringCommand:
    """Mixin for Scrapy's commands that run one spider into the database
    (crawl, runspider): the database check first, a quiet log, then the
    summary table of `scrapy replay`, the alarms, and the exit status (see
    the module docstring)."""

    default_settings = CRAWL_COMMAND_SETTINGS

    def process_options(self, args, opts):
        super().process_options(args, opts)
        quiet_log(self.settings)

    def _create_crawler(self, spidercls):
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args, opts):
        from crawler.summary import format_summary, storage_failed, storage_lines

        if len(args) == 1 and not database_ready(self.settings):
            self.exitcode = DATABASE_UNUSABLE
            return
        self.crawler = None
        super().run(args, opts)
        if self.crawler is None or self.crawler.spider is None:
            return
        stats = self.crawler.stats.get_stats()
        if database_unusable(stats):
            self.exitcode = DATABASE_UNUSABLE
            return
        # The storage lines on stderr, as before; all of it there with `-o -`.
        out = sys.stderr if feeds_to_stdout(opts) else sys.stdout
        print(format_summary(stats), file=out)
        for line in alarm_lines(stats):
            print(line, file=out)
        out.flush()
        for line in storage_lines(stats):
            print(line, file=sys.stderr)
        if storage_failed(stats):
            self.exitcode = self.exitcode or 1
        if stats.get(ALARMS_COUNT):
            self.exitcode = self.exitcode or ALARMS_RAISED
