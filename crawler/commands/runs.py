"""`scrapy runs [SPIDER ...]`: the latest runs of each spider, from crawl_runs."""
from __future__ import annotations

import json
import sys

from scrapy.commands import ScrapyCommand
from sqlalchemy import func, select

from crawler.commands import database_ready
from db.models import AlertRow, CrawlRun
from db.session import database_url, make_engine

COLUMNS = ("new", "updated", "unchanged", "rejected")


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] [SPIDER ...]"

    def short_desc(self) -> str:
        return "Show the latest runs of each spider (crawl_runs), with their errors and alarms"

    def long_desc(self) -> str:
        return (
            "Print the latest runs of each spider (or of the SPIDERs named) from crawl_runs in "
            "the database of DATABASE_URL: start (UTC), duration, new / updated / unchanged / "
            "rejected articles, errors (their total; reasons in crawl_runs.errors), alarms raised "
            "(rows of alerts) and the close reason (`running?` for a run without an end: still "
            "going, or killed). Exit status 2 if the database cannot be used."
        )

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-n", "--limit", type=int, default=5, metavar="N", help="runs per spider (default 5)")

    def run(self, args, opts):
        if not database_ready(self.settings):
            self.exitcode = 2
            return
        engine = make_engine(database_url(self.settings), self.settings.getfloat("DATABASE_TIMEOUT", 30.0))
        try:
            rows = latest_runs(engine, args, max(1, opts.limit))
        finally:
            engine.dispose()
        print(format_runs(rows))
        sys.stdout.flush()


def latest_runs(engine, spiders: list[str], limit: int) -> list[dict]:
    """The last `limit` runs of each spider, by spider, newest first, with their alarm counts."""
    rank = func.row_number().over(partition_by=CrawlRun.spider, order_by=CrawlRun.id.desc()).label("rank")
    ranked = select(CrawlRun.id, rank)
    if spiders:
        ranked = ranked.where(CrawlRun.spider.in_(spiders))
    ranked = ranked.subquery()
    alarms = (select(AlertRow.run_id, func.count().label("alarms")).group_by(AlertRow.run_id).subquery())
    query = (select(CrawlRun, func.coalesce(alarms.c.alarms, 0))
             .join(ranked, ranked.c.id == CrawlRun.id)
             .outerjoin(alarms, alarms.c.run_id == CrawlRun.id)
             .where(ranked.c.rank <= limit)
             .order_by(CrawlRun.spider, CrawlRun.id.desc()))
    with engine.connect() as connection:
        result = connection.execute(query)
        return [{**row._mapping, "alarms": row[-1]} for row in result]


def format_runs(rows: list[dict]) -> str:
    header = (f"{'spider':<14}{'started (UTC)':<18}{'duration':>9}{'new':>6}{'updated':>9}{'unchanged':>11}"
              f"{'rejected':>10}{'errors':>8}{'alarms':>8}  finish")
    lines = [header, "-" * len(header)]
    for row in rows:
        started, finished = row["started_at"], row["finished_at"]
        duration = _duration((finished - started).total_seconds()) if finished else "-"
        errors = sum(json.loads(row["errors"]).values()) if row["errors"] else 0
        counts = "".join(f"{row[k]:>{w}}" for k, w in zip(COLUMNS, (6, 9, 11, 10)))
        lines.append(f"{row['spider']:<14}{started:%Y-%m-%d %H:%M}  {duration:>9}{counts}{errors:>8}"
                     f"{row['alarms']:>8}  {row['finish_reason'] or 'running?'}")
    if not rows:
        lines.append("no runs")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
