"""`scrapy stories [--since DATE] [--limit N]`: the stories covered by most outlets."""
from __future__ import annotations

import os
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.commands import DATABASE_UNUSABLE, database_ready
from crawler.stories.listing import format_stories, parse_since, top_stories
from db.session import database_url, make_engine


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "List the stories covered by most outlets (articles of one event, grouped as they are stored)"

    def long_desc(self) -> str:
        return (
            "Print the stories of the database of DATABASE_URL, those covered by most outlets "
            "first (then by articles, then the latest): story id, outlets, articles, first and "
            "last publication (UTC day), the representative title and the outlet slugs. "
            "--since keeps the stories with an article published then or later; --articles "
            "lists each story's articles. Exit status 2 if the database cannot be used."
        )

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--since", metavar="DATE", help="stories with an article published at or after "
                                                            "this date or time (UTC)")
        parser.add_argument("-n", "--limit", type=int, default=20, metavar="N", help="stories to list (default 20)")
        parser.add_argument("--articles", action="store_true", help="list the articles of each story")
        parser.add_argument("--database", metavar="URL", help="database URL (overrides DATABASE_URL)")

    def process_options(self, args, opts):
        super().process_options(args, opts)
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        try:
            opts.since = parse_since(opts.since) if opts.since else None
        except ValueError:
            raise UsageError(f"--since: not a date or time: {opts.since!r}") from None
        if opts.limit < 1:
            raise UsageError("--limit must be at least 1")
        if opts.database:
            os.environ["DATABASE_URL"] = opts.database

    def run(self, args, opts):
        if not database_ready(self.settings):
            self.exitcode = DATABASE_UNUSABLE
            return
        engine = make_engine(database_url(self.settings), self.settings.getfloat("DATABASE_TIMEOUT", 30.0))
        try:
            stories = top_stories(engine, opts.since, opts.limit, with_articles=opts.articles)
        finally:
            engine.dispose()
        print(format_stories(stories))
        sys.stdout.flush()
