"""The storage spool: pages the database could not take yet, on local disk.

While the database is unavailable the storage pipeline holds pages in memory;
beyond `STORAGE_MAX_HELD` it appends them to its run's spool file and reads
them back, in order, when the database returns. Pages still not stored when
the run ends stay in that file, and the next run of the pipeline on the same
database stores every file left by earlier runs before its own pages.

    STORAGE_SPOOL_DIR/<database key>/<spider>-<UTC time>-<pid>-<n>.jsonl

One directory per database (its key names the file or server and database);
one JSON object per line, `{"kind": "article" | "rejected", "fields": {...}}`,
datetimes in ISO 8601 and the raw page gzip-compressed in base64, so a page
rejected later still keeps its raw bytes. A run holds an exclusive `flock` on
its file while it lasts: a file nobody holds was left by a run that ended (or
died) and may be claimed by the next one.
"""
from __future__ import annotations

import base64
import dataclasses
import fcntl
import gzip
import hashlib
import itertools
import json
import logging
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from crawler.items import ArticleItem, RejectedPage

logger = logging.getLogger(__name__)

SUFFIX = ".jsonl"
KINDS = {"article": ArticleItem, "rejected": RejectedPage}
_serials = itertools.count(1)


def spool_directory(base: Path, url: str) -> Path:
    """The spool directory of a database: one per SQLite file or server database."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        identity = str(Path(parsed.database).resolve()) if parsed.database else ":memory:"
        label = f"sqlite-{Path(identity).name}"
    else:
        # Without the password: changing it does not orphan a spool.
        identity = parsed.render_as_string(hide_password=True)
        label = f"{backend}-{parsed.host or 'local'}-{parsed.database or ''}"
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:10]
    return base / re.sub(r"[^A-Za-z0-9._-]+", "_", f"{label}-{digest}")


def new_spool_name(spider: str) -> str:
    """A file name of its own for a run: spider, UTC time, process, serial."""
    moment = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{spider}-{moment}-{os.getpid()}-{next(_serials)}"


# --- entries ---------------------------------------------------------------------


def encode(entry: ArticleItem | RejectedPage) -> bytes:
    kind = "article" if isinstance(entry, ArticleItem) else "rejected"
    fields = {}
    for field in dataclasses.fields(entry):
        if not field.metadata.get("spool", True):
            continue
        value = getattr(entry, field.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = base64.b64encode(gzip.compress(value, compresslevel=1, mtime=0)).decode("ascii")
        fields[field.name] = value
    return (json.dumps({"kind": kind, "fields": fields}, ensure_ascii=False) + "\n").encode("utf-8")


def decode(line: bytes) -> ArticleItem | RejectedPage:
    record = json.loads(line)
    cls = KINDS[record["kind"]]
    values = {}
    for field in dataclasses.fields(cls):
        if field.name not in record["fields"]:
            continue  # written before the field existed: its default
        value = record["fields"][field.name]
        if value is not None and "datetime" in str(field.type):
            value = datetime.fromisoformat(value)
        elif value is not None and "bytes" in str(field.type):
            value = gzip.decompress(base64.b64decode(value))
        values[field.name] = value
    return cls(**values)


# --- files -----------------------------------------------------------------------


class SpoolFile:
    """A spool file this process holds the lock of: entries are appended at the
    end and read from a cursor; `close_with` leaves exactly the pages not stored."""

    def __init__(self, path: Path, file, unread: int = 0):
        self.path = path
        self._file = file
        self._read_at = 0
        self.unread = unread

    @classmethod
    def create(cls, directory: Path, name: str) -> SpoolFile:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}{SUFFIX}"
        # Locked under a name no claimant looks at, then renamed into view.
        fresh = path.with_name(path.name + ".new")
        file = open(fresh, "a+b")
        fcntl.flock(file, fcntl.LOCK_EX)
        os.replace(fresh, path)
        return cls(path, file)

    @classmethod
    def claim(cls, path: Path) -> SpoolFile | None:
        """Lock a file left by an earlier run; None if a live run holds it or it is gone."""
        try:
            # Not created if missing: another claimant may have just removed it.
            file = open(os.open(path, os.O_RDWR | os.O_APPEND), "a+b")
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Renamed or removed by another claimant meanwhile: not this file any more.
            if os.fstat(file.fileno()).st_ino != os.stat(path).st_ino:
                raise FileNotFoundError(path)
        except OSError:
            file.close()
            return None
        file.seek(0)
        data = file.read()
        lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        return cls(path, file, lines)

    def append(self, entry: ArticleItem | RejectedPage) -> None:
        self._file.write(encode(entry))  # append mode: always at the end
        self._file.flush()
        self.unread += 1

    def read(self, count: int) -> list[ArticleItem | RejectedPage]:
        """Up to `count` entries from the cursor on, in the order written."""
        self._file.seek(self._read_at)
        entries = []
        while self.unread and len(entries) < count:
            line = self._file.readline()
            self.unread -= 1
            if not line:
                self.unread = 0
                break
            try:
                entries.append(decode(line))
            except (ValueError, KeyError, TypeError, OSError) as error:
                # Only the last line of a killed run can be cut short.
                logger.error("Skipping a damaged line of %s: %s", self.path, error)
        self._read_at = self._file.tell()
        return entries

    def close_with(self, held: list[ArticleItem | RejectedPage]) -> Path | None:
        """End this file: `held` (pages older than the unread ones) and the unread
        entries stay, in that order, or the file goes when nothing is left.
        Returns the path kept, if any."""
        if not held and not self.unread:
            self.discard()
            return None
        self._file.seek(self._read_at)
        rest = self._file.read()
        replacement = self.path.with_name(self.path.name + ".tmp")
        with open(replacement, "wb") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # held until renamed into place
            for entry in held:
                out.write(encode(entry))
            out.write(rest)
            out.flush()
            os.fsync(out.fileno())
            os.replace(replacement, self.path)
            self._fsync_directory()
        self._file.close()
        return self.path

    def discard(self) -> None:
        """Everything in the file is stored: remove it."""
        self.path.unlink(missing_ok=True)
        self._file.close()

    def _fsync_directory(self) -> None:
        descriptor = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def claim_earlier(directory: Path):
    """The spool files left by runs that ended, oldest first, each locked while used."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob(f"*{SUFFIX}"), key=_mtime):
        spool = SpoolFile.claim(path)
        if spool is not None:
            yield spool


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
