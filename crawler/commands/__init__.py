"""Scrapy commands of the project (COMMANDS_MODULE), and what they share:
the database is checked before a run starts (one line and exit status 2 when
it cannot be used), and pages it did not take make the exit status 1."""
from __future__ import annotations

import sys

from db.session import DatabaseUnavailable, database_url, open_database

# Exit status of a command whose database cannot be used.
DATABASE_UNUSABLE = 2


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
    (crawl, runspider): the database check first, then exit status 1 when
    pages were not stored, with the line that says where they are."""

    def _create_crawler(self, spidercls):
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args, opts):
        from crawler.summary import storage_failed, storage_lines

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
        # stderr: `scrapy crawl -o -` writes the items to stdout.
        for line in storage_lines(stats):
            print(line, file=sys.stderr)
        if storage_failed(stats):
            self.exitcode = self.exitcode or 1
