"""The `alerts` rows, and the earlier runs an outlet's run is compared with."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import Engine, insert, select

from crawler.alarms.checks import Alarm
from crawler.alarms.measures import RunMeasures, run_measures
from db.models import AlertRow, CrawlRun


def recent_runs(engine: Engine, spider: str, before_run: int | None, limit: int) -> list[RunMeasures]:
    """The measures of the spider's last finished runs before `before_run`, newest first."""
    query = (select(CrawlRun.stats).where(CrawlRun.spider == spider, CrawlRun.finish_reason == "finished",
                                          CrawlRun.finished_at.is_not(None))
             .order_by(CrawlRun.id.desc()).limit(limit))
    if before_run is not None:
        query = query.where(CrawlRun.id < before_run)
    with engine.connect() as connection:
        return [run_measures(json.loads(stats)) for (stats,) in connection.execute(query) if stats]


def record_alarms(engine: Engine, outlet: str, run_id: int | None, alarms: list[Alarm],
                  raised_at: datetime | None = None) -> list[dict]:
    """Insert the alarms; each one back as the dict the notification sends."""
    raised_at = raised_at or datetime.now(timezone.utc)
    rows = [{"run_id": run_id, "outlet": outlet, "kind": a.kind, "measured": a.measured, "expected": a.expected,
             "message": a.message, "raised_at": raised_at} for a in alarms]
    if not rows:
        return []
    with engine.begin() as connection:
        ids = [connection.execute(insert(AlertRow).values(**row).returning(AlertRow.id)).scalar_one()
               for row in rows]
    return [{**row, "id": alert_id, "raised_at": raised_at.isoformat()} for row, alert_id in zip(rows, ids)]


def as_messages(outlet: str, run_id: int | None, alarms: list[Alarm], raised_at: datetime) -> list[dict]:
    """The alarms as notifications when they could not be stored (no `id`)."""
    return [{"id": None, "run_id": run_id, "outlet": outlet, "kind": a.kind, "measured": a.measured,
             "expected": a.expected, "message": a.message, "raised_at": raised_at.isoformat()} for a in alarms]
