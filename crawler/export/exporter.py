"""`scrapy export`: the chosen articles of a database to one file, streamed.

The file is written under a temporary name and renamed when the last row is
in (`files.written_whole`): a file of that name is always a whole export.
Standard output (`-`) takes JSON Lines and CSV as they are written."""
from __future__ import annotations

import sys
import time
from typing import BinaryIO, TextIO

from sqlalchemy import Engine

from crawler.export.columns import article_columns
from crawler.export.files import written_whole
from crawler.export.source import BATCH_ROWS, ArticleFilter, article_batches, count_articles
from crawler.export.writers import WRITERS


class Progress:
    """`exported 40000/200000 articles (20%), 9500/s` on stderr: rewritten in
    place on a terminal every `interval` seconds, a line every 10 s otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None, interval: float = 1.0):
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval = interval if self.tty else max(interval, 10.0)
        self.started = self.last = time.monotonic()
        self.done = 0

    def advance(self, rows: int) -> None:
        self.done += rows
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self.stream.write(self.line(now) + ("\r" if self.tty else "\n"))
            self.stream.flush()

    def line(self, now: float) -> str:
        share = f" ({100 * self.done // self.total}%)" if self.total else ""
        rate = self.done / max(now - self.started, 1e-6)
        return f"exported {self.done}/{self.total} articles{share}, {rate:.0f}/s"

    def finish(self, target: str, fmt: str) -> None:
        seconds = time.monotonic() - self.started
        clear = " " * 79 + "\r" if self.tty else ""
        self.stream.write(f"{clear}exported {self.done} articles to {target} ({fmt}) in {seconds:.1f} s\n")
        self.stream.flush()


def write_articles(engine: Engine, stream: BinaryIO, fmt: str, chosen: ArticleFilter,
                   progress: Progress | None = None, batch_rows: int = BATCH_ROWS) -> int:
    """Write the chosen articles to an open binary stream; returns how many."""
    columns = article_columns()
    writer = WRITERS[fmt](stream, columns)
    written = 0
    try:
        for rows in article_batches(engine, chosen, columns, batch_rows):
            writer.write(rows)
            written += len(rows)
            if progress is not None:
                progress.advance(len(rows))
    finally:
        writer.close()  # also after a failure, while the stream is still open
    return written


def export_articles(engine: Engine, output: str, fmt: str, chosen: ArticleFilter, *,
                    progress_stream: TextIO | None = None, batch_rows: int = BATCH_ROWS) -> int:
    """Export to the file `output` (or standard output for `-`); returns the
    number of articles written. A progress line runs on `progress_stream`
    (stderr by default)."""
    progress = Progress(count_articles(engine, chosen), progress_stream)
    if output == "-":
        written = write_articles(engine, sys.stdout.buffer, fmt, chosen, progress, batch_rows)
        progress.finish("standard output", fmt)
        return written
    with written_whole(output) as stream:
        written = write_articles(engine, stream, fmt, chosen, progress, batch_rows)
    progress.finish(output, fmt)
    return written
