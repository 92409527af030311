"""`scrapy search QUERY`: the stored articles a full-text query finds, best first."""
from __future__ import annotations

import csv
import json
import os
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.commands import DATABASE_UNUSABLE

FORMATS = ("table", "jsonl", "csv")
COLUMNS = ("score", "published_at", "outlet", "title", "snippet", "url", "id")


class Command(ScrapyCommand):
    requires_project = True
    interactive_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[options] QUERY"

    def short_desc(self) -> str:
        return "Search the stored articles (Arabic full-text search)"

    def long_desc(self) -> str:
        return (
            "Print the articles of the database (DATABASE_URL, or --database) that hold every word of "
            "QUERY, best first (bm25 on SQLite, ts_rank on PostgreSQL; title over subtitle over tags "
            "over body), the newest first on equal scores, each with a snippet, the query's words in "
            "[brackets]. Words match whatever their diacritics, tatweel, alef, hamza, yeh or teh marbuta "
            "spelling and Arabic-Indic digits, and with their prefixes and suffixes (و ف ب ك ل ال, "
            "light10 stemming): الصين finds بالصين and والصين. \"Quoted words\" must follow each "
            "other; -word (or -\"a phrase\") excludes. Several arguments are one query; quote a query "
            "that starts with -. Exit status 0 if articles were found, 1 if none, 2 if the database "
            "cannot be used."
        )

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--outlet", metavar="SLUG", help="only this outlet's articles")
        parser.add_argument("--since", metavar="DATE", help="published on or after this day (UTC)")
        parser.add_argument("--until", metavar="DATE", help="published on or before this day (UTC)")
        parser.add_argument("--limit", metavar="N", type=int, default=20, help="at most N articles (default 20)")
        parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
        parser.add_argument("--database", metavar="URL", help="database URL (overrides DATABASE_URL)")

    def process_options(self, args, opts):
        super().process_options(args, opts)
        for name, value in self.interactive_settings.items():
            if self.settings.getpriority(name) < SETTINGS_PRIORITIES["cmdline"]:
                self.settings.set(name, value, priority=SETTINGS_PRIORITIES["project"] + 1)
        if not args:
            raise UsageError("a query is required")
        if opts.limit < 1:
            raise UsageError("--limit must be at least 1")
        if opts.database:
            os.environ["DATABASE_URL"] = opts.database

    def run(self, args, opts):
        from datetime import date

        from crawler.search.query import parse_query
        from crawler.search.results import search
        from db.session import DatabaseUnavailable, database_url, open_database

        query = " ".join(args)
        if not parse_query(query):
            raise UsageError(f"nothing to search for in {query!r} (no word, or only excluded ones)")
        try:
            since = date.fromisoformat(opts.since) if opts.since else None
            until = date.fromisoformat(opts.until) if opts.until else None
        except ValueError as error:
            raise UsageError(f"--since/--until take a day, YYYY-MM-DD: {error}") from None
        url = database_url(self.settings)
        try:
            # Brings the schema (and so the index) up to date, as the other commands do.
            open_database(url, self.settings.getfloat("DATABASE_TIMEOUT", 30.0)).dispose()
        except DatabaseUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            self.exitcode = DATABASE_UNUSABLE
            return
        results = search(url, query, outlet=opts.outlet, since=since, until=until, limit=opts.limit)
        write = {"table": write_table, "jsonl": write_jsonl, "csv": write_csv}[opts.format]
        try:
            write(results, sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if not results:
            print(f"no article matches {query!r}", file=sys.stderr)
            self.exitcode = 1


def _row(result: dict) -> dict:
    published = result["published_at"]
    return {**result, "published_at": published.isoformat() if published else None}


def write_jsonl(results: list[dict], out) -> None:
    for result in results:
        out.write(json.dumps({name: _row(result)[name] for name in COLUMNS}, ensure_ascii=False) + "\n")


def write_csv(results: list[dict], out) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(_row(result) for result in results)


def write_table(results: list[dict], out) -> None:
    """One block per article: rank, score, day, outlet and title; the snippet; the URL."""
    for rank, result in enumerate(results, 1):
        published = result["published_at"]
        day = published.date().isoformat() if published else "----------"
        out.write(f"{rank:>3}  {result['score']:>9.4g}  {day}  {result['outlet'] or '-':<12}  "
                  f"{result['title'] or '(no title)'}\n")
        if result["snippet"]:
            out.write(f"     {result['snippet']}\n")
        out.write(f"     {result['url']}\n")
