"""The columns of an export: those of the `articles` table, in its order, each
with the kind of value it holds (so Parquet gets real types) and, for the
lists the database keeps joined, the separator that joins them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Integer, Text

from db.models import CAPTION_SEPARATOR, LIST_SEPARATOR, Article
from db.store import split_list
from db.types import UTCDateTime

INTEGER, NUMBER, TEXT, TIME, BOOLEAN, LIST = "integer", "number", "text", "time", "boolean", "list"

# Columns holding a joined list (README, Conventions).
LIST_SEPARATORS = {
    "authors": LIST_SEPARATOR, "tags": LIST_SEPARATOR, "warnings": LIST_SEPARATOR, "captions": CAPTION_SEPARATOR,
}

_KINDS = ((UTCDateTime, TIME), (Boolean, BOOLEAN), (BigInteger, INTEGER), (Integer, INTEGER), (Float, NUMBER),
          (Text, TEXT))


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    separator: str | None = None  # for LIST columns: how the database joins the values

    def value(self, stored: Any) -> Any:
        """The value as an export holds it: a list for a joined list (empty
        when the database has NULL, as an item has no authors), else as read."""
        return split_list(stored, self.separator) if self.kind == LIST else stored


def kind_of(column) -> str | None:
    for sql_type, kind in _KINDS:
        if isinstance(column.type, sql_type):
            return kind
    return None


def article_columns() -> list[Column]:
    """Every column of `articles` with a value of its own; a column of a type
    that is no data for a reader (an index, such as a search vector) is left out."""
    columns = []
    for column in Article.__table__.columns:
        kind = kind_of(column)
        if kind is None:
            continue
        if column.name in LIST_SEPARATORS:
            columns.append(Column(column.name, LIST, LIST_SEPARATORS[column.name]))
        else:
            columns.append(Column(column.name, kind))
    return columns


def record(columns: list[Column], row) -> dict[str, Any]:
    """One row as a plain dict: lists split, times as aware UTC datetimes."""
    return {column.name: column.value(value) for column, value in zip(columns, row)}


def text_value(value: Any) -> Any:
    """A value in a text format (JSON Lines, CSV): a time in ISO 8601 with its offset, as the database keeps it."""
    return value.isoformat() if isinstance(value, datetime) else value
