"""Database URL, engines and schema setup (Alembic migrations + outlet rows)."""
from __future__ import annotations

import atexit
import functools
import logging
import os
import re
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url

from crawler.outlets import all_outlets, by_slug
from db.models import LIST_SEPARATOR, OutletRow

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
# Serializes schema setup of workers sharing one PostgreSQL database.
SCHEMA_LOCK_KEY = 0x6E657773  # "news"
# Seconds to wait for a locked SQLite file or a PostgreSQL connection (DATABASE_TIMEOUT).
DEFAULT_TIMEOUT = 30.0


class DatabaseUnavailable(Exception):
    """The database cannot be used at all: a bad URL, an unknown driver, a
    server that does not answer, a file that cannot be opened or stays locked.
    The message is one line naming the URL (password hidden) and the cause."""


def project_root() -> Path:
    """The source checkout holding this package, else the working directory
    (when the package is installed elsewhere)."""
    checkout = PACKAGE_DIR.parent
    return checkout if (checkout / "scrapy.cfg").exists() else Path.cwd()


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url(settings=None) -> str:
    """`DATABASE_URL` from the Scrapy settings (`-s DATABASE_URL=...`, scrapyd's
    `setting=` fields, settings.py), else from the environment, else a SQLite
    file `data/news.db` under the project root: Scrapy's order, the command
    line over the settings over the environment."""
    url = (settings.get("DATABASE_URL") if settings is not None else None) or os.environ.get("DATABASE_URL")
    if not url:
        path = project_root() / "data" / "news.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    return normalize_url(url)


def printable_url(url: str) -> str:
    """The URL with its password hidden, also when SQLAlchemy cannot parse it."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", url)


def make_engine(url: str, timeout: float = DEFAULT_TIMEOUT) -> Engine:
    url = normalize_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        # Sessions in UTC, so raw timestamps read the same on every server.
        # libpq counts its connect timeout in whole seconds, 2 at least.
        connect_args = {"options": "-c timezone=UTC", "connect_timeout": max(2, round(timeout))}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    # Wait for a busy database instead of failing at once (other writers).
    engine = create_engine(url, connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def configure_sqlite(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, open transactions (so DDL is
        # transactional too), with WAL so readers never block the writer.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # A page cache of 64 MB, not 2: the story keys' indexes of a few
        # thousand articles are larger than that, and a batch's inserts touch
        # pages all over them (a replay of 5,000 captures: 25 -> 22 s, and a
        # third of the system time).
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin_immediate(connection):
        # Take the write lock up front: a deferred transaction that reads then
        # writes can fail at once with "database is locked" instead of waiting.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def reading_engine(url: str, timeout: float = DEFAULT_TIMEOUT) -> Engine:
    """An engine to read with: on SQLite without db.session's BEGIN IMMEDIATE,
    which would take the write lock (and wait for a crawl's) to read."""
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return create_engine(url, connect_args={"timeout": timeout})
    return make_engine(url, timeout)


def migrations_dir() -> Path:
    """The Alembic scripts as a real directory: Alembic reads files, and a
    scrapyd deploy imports this package from a zipped egg."""
    if MIGRATIONS_DIR.is_dir():
        return MIGRATIONS_DIR
    return _extracted_migrations()


@functools.cache
def _extracted_migrations() -> Path:
    target = Path(tempfile.mkdtemp(prefix="news-migrations-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _copy_resources(resources.files("db") / "migrations", target)
    return target


def _copy_resources(source, target: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                (target / entry.name).mkdir()
                _copy_resources(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())


def alembic_config(connection=None) -> Config:
    """An Alembic configuration built in code, so migrations run from an
    installed package and from any working directory."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def outlet_row(slug: str, page_name: str | None = None) -> dict:
    """The outlets row for a slug: from its description in crawler/outlets,
    else (an outlet not described yet) named as the page names it."""
    outlet = by_slug(slug)
    if outlet is not None:
        return {
            "slug": slug, "name_ar": outlet.name_ar, "name_en": outlet.name_en,
            "domains": LIST_SEPARATOR.join(outlet.domains), "registered": True,
        }
    is_arabic = any("\u0600" <= ch <= "\u06ff" for ch in page_name or "")
    return {
        "slug": slug,
        "name_ar": page_name if is_arabic else None,
        "name_en": None if is_arabic else page_name,
        "domains": None,
        "registered": False,
    }


def upsert_insert(dialect_name: str):
    """The dialect's INSERT construct that supports ON CONFLICT."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect_name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"unsupported database: {dialect_name} (use SQLite or PostgreSQL)")
    return insert


def seed_outlets(connection) -> None:
    """Insert or refresh the outlets described in crawler/outlets."""
    rows = [outlet_row(outlet.slug) for outlet in all_outlets()]
    if not rows:
        return
    insert = upsert_insert(connection.dialect.name)
    statement = insert(OutletRow).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[OutletRow.slug],
        set_={name: statement.excluded[name] for name in ("name_ar", "name_en", "domains", "registered")},
    )
    connection.execute(statement)


_REVISION_LINE = re.compile(r"^(down_)?revision\b[^=\n]*=(.*)$", re.MULTILINE)


@functools.cache
def head_revisions() -> frozenset[str]:
    """The head revision(s) of the migration scripts, read from their
    `revision` / `down_revision` lines: what Alembic would compute, without
    importing it and loading every script (0.3 s of each command's start)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (migrations_dir() / "versions").glob("*.py"):
        for down, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            (parents if down else revisions).update(re.findall(r"[\"']([^\"']+)[\"']", value))
    return frozenset(revisions - parents)


def schema_is_current(connection) -> bool:
    """Whether the database is at the head revision already (nothing to migrate)."""
    try:
        with connection.begin():
            stored = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    except exc.DBAPIError:  # no alembic_version table yet, or the database is busy: Alembic decides
        return False
    return bool(stored) and stored == head_revisions()


def prepare_database(url_or_engine: str | Engine) -> Engine:
    """Bring the schema to the latest migration and refresh the outlet rows.

    Idempotent; meant to run at the start of every crawl. Returns the engine.
    """
    engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
    with engine.connect() as connection:
        if schema_is_current(connection):
            with connection.begin():
                seed_outlets(connection)
            logger.info("Database ready: %s", engine.url.render_as_string(hide_password=True))
            return engine
    from alembic import command

    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it (batch migrations), and with
            # foreign keys on, dropping the old copy would delete or unlink
            # the rows referencing it. Off while migrating, as SQLite's docs
            # prescribe; the pragma only works outside a transaction. The copy
            # is renamed to the table's name once the table is dropped, which
            # SQLite refuses while a view reads the table unless the rename
            # leaves views alone (they name the table, so they read the copy).
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            connection.connection.driver_connection.execute("PRAGMA legacy_alter_table=ON")
        try:
            with connection.begin():
                if not sqlite:
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
                command.upgrade(alembic_config(connection), "head")
                seed_outlets(connection)
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
                connection.connection.driver_connection.execute("PRAGMA legacy_alter_table=OFF")
    logger.info("Database ready: %s", engine.url.render_as_string(hide_password=True))
    return engine


def open_database(url: str, timeout: float = DEFAULT_TIMEOUT) -> Engine:
    """`prepare_database` for a run: a database that cannot be used raises
    DatabaseUnavailable with the reason on one line, not a driver's traceback."""
    try:
        engine = make_engine(url, timeout)
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as error:
        raise DatabaseUnavailable(f"cannot use the database {printable_url(url)}: {cause(error)}") from error
    try:
        return prepare_database(engine)
    except (exc.DBAPIError, NotImplementedError, OSError) as error:
        engine.dispose()
        raise DatabaseUnavailable(f"cannot use the database {printable_url(url)}: {cause(error)}") from error


def is_unavailable(error: BaseException) -> bool:
    """A failure of the database rather than of the data written (connection
    refused or lost, server shutting down, file locked, disk full): the same
    write may succeed later. Constraint violations and bad values are not."""
    if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)):
        return True
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated


def cause(error: BaseException) -> str:
    """An exception as one short line: the driver's message without SQL or hints."""
    if isinstance(error, exc.NoSuchModuleError):
        return f"unknown database type or driver ({error})"
    if isinstance(error, ImportError):
        return f"database driver not installed ({error})"
    if isinstance(error, exc.ArgumentError):
        return f"not a database URL ({error})"
    original = error.orig if isinstance(error, exc.DBAPIError) and error.orig is not None else error
    message = " ".join(str(original).split()) or type(original).__name__
    return message if len(message) <= 300 else message[:297] + "..."
