"""`scrapy replay [PATH ...]`: store saved pages offline through the crawl's own
pipelines and stats (pages read by worker processes with -j N), then print a
per-outlet summary."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.commands import CRAWL_COMMAND_SETTINGS, DATABASE_UNUSABLE, database_ready, database_unusable
from crawler.pagereader import ReaderPool, default_workers
from crawler.pages import WARC, kind_of
from crawler.replay import ReplaySpider
from crawler.summary import STORED, format_summary, storage_failed, storage_lines, totals
from db.session import project_root


class Command(ScrapyCommand):
    requires_project = True
    default_settings = CRAWL_COMMAND_SETTINGS
    # An interactive command: a progress line and the summary, warnings only in
    # the log. Above the project's settings, below -L / -s on the command line.
    interactive_settings = {"LOG_LEVEL": "WARNING", "PROGRESS_ENABLED": True}

    def syntax(self) -> str:
        return "[options] [PATH ...]"

    def short_desc(self) -> str:
        return "Replay saved pages (text captures, HTML, WARC archives) into the database"

    def long_desc(self) -> str:
        return (
            "Replay saved pages offline: read from disk (in N worker processes with -j N, "
            "default one per core), through the parsers, normalizers, item pipelines and stats "
            "of a live crawl; pages stored before from the same bytes by the same parser "
            "version are skipped as unchanged (--force reads them). PATH is a file or a folder (read "
            "recursively) of .txt text captures, .html/.htm/.html.gz pages and .warc/.warc.gz "
            "archives of crawls (each HTML 200 response of an article URL counts as a page; "
            "other records are skipped); default: seeds/. The database is DATABASE_URL "
            "(environment or setting), by default a SQLite file under data/. Exit status 0 "
            "only if every file (every WARC page) was stored; 1 if some were rejected or not "
            "stored (the database was unavailable: they are spooled for the next run); 2 if "
            "the database cannot be used."
        )

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--database", metavar="URL", help="database URL (overrides DATABASE_URL)")
        parser.add_argument("--list", action="store_true", help="list the articles stored by this run")
        parser.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                            help="pages read by N worker processes (default: one per core; 1: in this process)")
        parser.add_argument("--force", action="store_true",
                            help="read every page again, also those stored before from the same bytes "
                                 "by the same parser version (after a change the version does not see)")

    def process_options(self, args, opts):
        super().process_options(args, opts)
        for name, value in self.interactive_settings.items():
            if self.settings.getpriority(name) < SETTINGS_PRIORITIES["cmdline"]:
                self.settings.set(name, value, priority=SETTINGS_PRIORITIES["project"] + 1)
        if opts.database:
            self.settings.set("DATABASE_URL", opts.database, priority="cmdline")
        # The replay's spider is its own class: Scrapy's spider loader need not
        # import every outlet spider's module first (0.06 s of each start).
        self.settings.set("SPIDER_MODULES", [], priority=SETTINGS_PRIORITIES["project"] + 1)
        if opts.jobs is not None and opts.jobs < 1:
            raise UsageError("-j takes a number of worker processes, 1 or more")

    def run(self, args, opts):
        if self.crawler_process is None:
            raise UsageError("no crawler process")
        if not database_ready(self.settings):
            self.exitcode = DATABASE_UNUSABLE
            return
        started = datetime.now(timezone.utc)
        jobs = opts.jobs or default_workers()
        if args and all(Path(arg).is_file() and kind_of(arg) != WARC for arg in args):
            jobs = min(jobs, len(args))  # no more workers than pages (a worker costs its start)
        # Forked now, before the engine starts a thread; one writer stays here.
        pool = ReaderPool(self.settings, jobs) if jobs > 1 else None
        try:
            crawler = self.crawler_process.create_crawler(ReplaySpider)
            # Default paths are the project's, as the database's (not the working directory's).
            paths = args or [str(project_root() / "seeds")]
            self.crawler_process.crawl(crawler, paths=paths, pool=pool, force=opts.force)
            self.crawler_process.start()
        finally:
            if pool is not None:
                pool.shutdown()
        stats = crawler.stats.get_stats()
        if database_unusable(stats):
            self.exitcode = DATABASE_UNUSABLE
            return

        print(format_summary(stats))
        counts = totals(stats)
        if opts.list and not counts["not_stored"]:
            from db.session import database_url
            from crawler.listing import format_stored_since

            print(format_stored_since(database_url(crawler.settings), started))
        files = stats.get("replay/files", 0)
        stored = sum(counts[k] for k in STORED)
        if stats.get("replay/warc_files"):
            print(warc_line(stats))
        line = f"{files} files read, {stored} stored, {counts['rejected']} rejected"
        print(line + (f", {counts['not_stored']} not stored" if counts["not_stored"] else ""))
        for line in storage_lines(stats):
            print(line)
        # Every page is in one column; anything else is a bug to see, not to hide.
        unaccounted = files - stored - counts["rejected"] - counts["not_stored"]
        if unaccounted:
            print(f"{unaccounted} files not accounted for: see the log")
        if self.crawler_process.bootstrap_failed or counts["rejected"] or unaccounted or storage_failed(stats):
            self.exitcode = 1
        sys.stdout.flush()


def warc_line(stats: dict) -> str:
    """`2 WARC files, 31 records skipped: not_html 12, status_404 2, ...`"""
    prefix = "replay/warc_skipped/"
    skipped = {key[len(prefix):]: n for key, n in stats.items() if key.startswith(prefix)}
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(skipped.items()))
    line = f"{stats['replay/warc_files']} WARC files, {sum(skipped.values())} records skipped"
    return f"{line}: {reasons}" if reasons else line
