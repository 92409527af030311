"""`scrapy report`: one self-contained HTML page about the database (no
network: inline CSS and SVG), in Arabic, right to left. `data` reads what it
shows, `page` renders it, `write_report` puts it in a file."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine


def write_report(engine: Engine, output: str | Path, days: int | None = None):
    """Render the report of the database into `output`, replaced whole;
    returns what it shows (`data.ReportData`)."""
    from crawler.export.files import written_whole
    from crawler.report.data import DEFAULT_DAYS, read_report
    from crawler.report.page import render_report

    data = read_report(engine, days or DEFAULT_DAYS)
    with written_whole(output, "w", encoding="utf-8") as stream:
        stream.write(render_report(data))
    return data
