"""Column types that behave the same on SQLite and PostgreSQL."""
from __future__ import annotations

import gzip
from datetime import datetime, timezone

from sqlalchemy import DateTime, LargeBinary, Text
from sqlalchemy.types import TypeDecorator


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime, always read back in UTC.

    PostgreSQL stores `timestamptz`. SQLite has no datetime type, so the value
    is ISO-8601 text in UTC (`2024-11-19T08:30:00+00:00`): `substr(col, 1, 10)`
    is the UTC date and text order is time order, from plain SQL too.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        value = as_utc(value)
        return value.isoformat() if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return as_utc(value)


class GzippedBytes(TypeDecorator):
    """Bytes stored gzip-compressed (saved pages compress about tenfold)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        # mtime=0 keeps the stored bytes a function of the content alone.
        return None if value is None else gzip.compress(value, mtime=0)

    def process_result_value(self, value, dialect):
        return None if value is None else gzip.decompress(value)
