"""`scrapy export -o FILE`: articles of the database to JSON Lines, CSV or Parquet."""
from __future__ import annotations

import os
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.commands import DATABASE_UNUSABLE
from crawler.export.writers import FORMATS, STREAM_FORMATS, format_of


class Command(ScrapyCommand):
    requires_project = True
    # The progress line and problems only (as `scrapy replay`); -L and -s still win.
    interactive_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "-o FILE [--format jsonl|csv|parquet] [--outlet SLUG] [--since DATE] [--until DATE] [--query TEXT]"

    def short_desc(self) -> str:
        return "Export the stored articles to JSON Lines, CSV or Parquet"

    def long_desc(self) -> str:
        return (
            "Write the articles of the database (DATABASE_URL, or --database) to FILE, every column "
            "of the articles table in its order, streamed in batches with a progress line on stderr. "
            "The format is --format, else the file's extension (.jsonl, .csv, .parquet); `-o -` "
            "writes JSON Lines or CSV to standard output. --outlet (repeatable), --since and --until "
            "(publication time; a date means its whole day) and --query (full-text search) choose "
            "the articles. Exit status 1 if the export stopped (no file is left), 2 if the "
            "database cannot be used."
        )

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="FILE", help="file to write (- for standard output)")
        parser.add_argument("--format", choices=FORMATS, help="file format (default: from the file's extension)")
        parser.add_argument("--outlet", action="append", default=[], metavar="SLUG",
                            help="only this outlet's articles (repeat for several)")
        parser.add_argument("--since", metavar="DATE", help="published at or after this date or time (UTC)")
        parser.add_argument("--until", metavar="DATE", help="published until this date (inclusive) or before this time")
        parser.add_argument("--query", metavar="TEXT", help="only the articles the full-text search finds")
        parser.add_argument("--database", metavar="URL", help="database URL (overrides DATABASE_URL)")

    def process_options(self, args, opts):
        super().process_options(args, opts)
        for name, value in self.interactive_settings.items():
            if self.settings.getpriority(name) < SETTINGS_PRIORITIES["cmdline"]:
                self.settings.set(name, value, priority=SETTINGS_PRIORITIES["project"] + 1)
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        if not opts.output:
            raise UsageError("-o FILE is required")
        opts.format = opts.format or format_of(opts.output)
        if opts.format is None:
            raise UsageError(f"cannot tell the format of {opts.output!r}: use --format {'|'.join(FORMATS)}")
        if opts.output == "-" and opts.format not in STREAM_FORMATS:
            raise UsageError(f"{opts.format} cannot go to standard output: give a file")
        if opts.database:
            os.environ["DATABASE_URL"] = opts.database

    def run(self, args, opts):
        from crawler.export.exporter import export_articles
        from crawler.export.source import ArticleFilter, open_for_reading
        from sqlalchemy.exc import DBAPIError

        from db.session import DatabaseUnavailable, cause, database_url

        try:
            chosen = ArticleFilter.from_text(opts.outlet, opts.since, opts.until, opts.query)
        except ValueError as error:
            raise UsageError(str(error)) from None
        try:
            engine = open_for_reading(database_url(self.settings), self.settings.getfloat("DATABASE_TIMEOUT", 30.0))
        except DatabaseUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            self.exitcode = DATABASE_UNUSABLE
            return
        try:
            export_articles(engine, opts.output, opts.format, chosen)
        except BrokenPipeError:
            # `scrapy export -o - | head`: the reader has what it wanted.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            self.exitcode = 1
        except (DBAPIError, OSError) as error:
            # The database went away or the disk filled: no file rather than half of one.
            print(f"error: export to {opts.output} stopped, nothing written: {cause(error)}", file=sys.stderr)
            self.exitcode = 1
        finally:
            engine.dispose()
