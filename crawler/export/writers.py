"""File formats of `scrapy export`, written a batch of rows at a time.

- JSON Lines: one object per article, readable Arabic (UTF-8), times in ISO
  8601 UTC, lists (authors, tags, captions, warnings) as arrays.
- CSV: the columns as the database keeps them (lists joined with "; ",
  captions with newlines), times in ISO 8601 UTC, a header line.
- Parquet (pyarrow): typed columns, times as `timestamp[us, UTC]`, lists as
  `list<string>`; one row group per batch, compressed with zstd.
"""
from __future__ import annotations

import csv
import io
import json
from typing import BinaryIO

from crawler.export.columns import BOOLEAN, INTEGER, LIST, NUMBER, TIME, Column, text_value

JSONL, CSV, PARQUET = "jsonl", "csv", "parquet"
FORMATS = (JSONL, CSV, PARQUET)
# Formats that can go to standard output (`-o -`): Parquet needs a file it can seek back in.
STREAM_FORMATS = (JSONL, CSV)


def format_of(path: str) -> str | None:
    """The format a file name stands for: .jsonl (.ndjson), .csv, .parquet."""
    lower = path.lower()
    for suffixes, name in (((".jsonl", ".ndjson"), JSONL), ((".csv",), CSV), ((".parquet", ".pq"), PARQUET)):
        if lower.endswith(suffixes):
            return name
    return None


class JsonLinesWriter:
    def __init__(self, stream: BinaryIO, columns: list[Column]):
        self.stream = stream
        self.columns = columns

    def write(self, rows: list[tuple]) -> None:
        lines = []
        for row in rows:
            record = {c.name: text_value(c.value(value)) for c, value in zip(self.columns, row)}
            lines.append(json.dumps(record, ensure_ascii=False))
        self.stream.write(("\n".join(lines) + "\n").encode("utf-8") if lines else b"")

    def close(self) -> None:
        self.stream.flush()


class CsvWriter:
    def __init__(self, stream: BinaryIO, columns: list[Column]):
        self.text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        self.columns = columns
        self.csv = csv.writer(self.text)
        self.csv.writerow([c.name for c in columns])

    def write(self, rows: list[tuple]) -> None:
        self.csv.writerows([text_value(value) for value in row] for row in rows)

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class ParquetWriter:
    def __init__(self, stream: BinaryIO, columns: list[Column]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.columns = columns
        self.schema = pa.schema([pa.field(c.name, self._arrow_type(c)) for c in columns])
        self.writer = pq.ParquetWriter(stream, self.schema, compression="zstd")

    def _arrow_type(self, column: Column):
        pa = self.pa
        return {
            INTEGER: pa.int64(), NUMBER: pa.float64(), BOOLEAN: pa.bool_(),
            TIME: pa.timestamp("us", tz="UTC"), LIST: pa.list_(pa.string()),
        }.get(column.kind, pa.string())

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        arrays = [
            self.pa.array([column.value(row[index]) for row in rows], type=self.schema.field(index).type)
            for index, column in enumerate(self.columns)
        ]
        self.writer.write_table(self.pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


WRITERS = {JSONL: JsonLinesWriter, CSV: CsvWriter, PARQUET: ParquetWriter}
