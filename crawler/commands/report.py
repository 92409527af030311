"""`scrapy report [-o report.html]`: one HTML page about the database."""
from __future__ import annotations

import os
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.commands import DATABASE_UNUSABLE


class Command(ScrapyCommand):
    requires_project = True
    # One line at the end, problems only in the log (as `scrapy replay`); -L and -s still win.
    interactive_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[-o report.html] [--days N]"

    def short_desc(self) -> str:
        return "Write an HTML report of the database: articles per day, field coverage, runs, stories"

    def long_desc(self) -> str:
        return (
            "Write one self-contained HTML file (inline CSS and SVG, nothing fetched; Arabic, right to "
            "left) about the database (DATABASE_URL, or --database): articles per outlet per day over "
            "the last N days with a publication (a chart), field coverage per outlet (title, date, "
            "author, section, body length), the latest crawl runs with their errors, and the stories "
            "covered by most outlets. Exit status 2 if the database cannot be used."
        )

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="FILE", default="report.html",
                            help="file to write (default: report.html)")
        parser.add_argument("--days", type=int, default=None, metavar="N",
                            help="days in the chart, up to the latest publication (default: 30)")
        parser.add_argument("--database", metavar="URL", help="database URL (overrides DATABASE_URL)")

    def process_options(self, args, opts):
        super().process_options(args, opts)
        for name, value in self.interactive_settings.items():
            if self.settings.getpriority(name) < SETTINGS_PRIORITIES["cmdline"]:
                self.settings.set(name, value, priority=SETTINGS_PRIORITIES["project"] + 1)
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        if opts.days is not None and opts.days < 1:
            raise UsageError("--days takes a number of days, 1 or more")
        if opts.database:
            os.environ["DATABASE_URL"] = opts.database

    def run(self, args, opts):
        from crawler.export.source import open_for_reading
        from crawler.report import write_report
        from db.session import DatabaseUnavailable, database_url

        try:
            engine = open_for_reading(database_url(self.settings), self.settings.getfloat("DATABASE_TIMEOUT", 30.0))
        except DatabaseUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            self.exitcode = DATABASE_UNUSABLE
            return
        try:
            data = write_report(engine, opts.output, opts.days)
        finally:
            engine.dispose()
        print(f"report written to {opts.output}: {data.articles} articles, {len(data.coverage)} outlets, "
              f"{len(data.runs)} runs", file=sys.stderr)
