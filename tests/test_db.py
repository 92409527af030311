"""Schema setup: migrations on SQLite and PostgreSQL, parity with the models,
outlet rows, URLs and engines, and the UTC datetime column type."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from scrapy.settings import Settings
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from crawler.outlets import all_outlets
from db import session as db_session
from db.models import Base, is_mapped
from db.session import alembic_config, database_url, make_engine, prepare_database

ARTICLE_COLUMNS = {
    "id", "url", "outlet", "outlet_name", "title", "subtitle", "body", "published_at", "modified_at",
    "captured_at", "section", "authors", "tags", "agency", "via", "language", "canonical_url",
    "image_url", "captions", "word_count", "content_hash", "search_text", "parser",
    "first_seen_at", "last_seen_at", "fetched_at", "url_key", "duplicate_of", "removed_at",
}


def schema_diff(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": is_mapped})
        return compare_metadata(context, Base.metadata)


def test_migrations_create_the_schema(db_url):
    engine = prepare_database(db_url)
    schema = inspect(engine)
    assert {"outlets", "articles", "rejected_pages", "alembic_version"} <= set(schema.get_table_names())
    assert ARTICLE_COLUMNS <= {c["name"] for c in schema.get_columns("articles")}
    indexed = {tuple(ix["column_names"]) for ix in schema.get_indexes("articles")}
    assert {("outlet",), ("published_at",), ("content_hash",), ("url_key",), ("duplicate_of",)} <= indexed
    unique = {tuple(uq["column_names"]) for uq in schema.get_unique_constraints("articles")}
    assert ("url",) in unique
    foreign_keys = {(tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                    for fk in schema.get_foreign_keys("articles")}
    assert foreign_keys == {(("outlet",), "outlets", ("slug",)), (("duplicate_of",), "articles", ("id",)),
                            (("story_id",), "stories", ("id",))}

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
        outlets = connection.execute(text("SELECT slug, name_ar, domains, registered FROM outlets")).all()
    assert {row.slug for row in outlets} == {o.slug for o in all_outlets()}
    khaberain = next(row for row in outlets if row.slug == "khaberain")
    assert khaberain.name_ar == "خبرين" and khaberain.registered
    assert khaberain.domains.split("; ") == ["khabaren.net", "khaberain.com"]
    engine.dispose()


def test_migrated_schema_matches_the_models(db_url):
    engine = prepare_database(db_url)
    assert schema_diff(engine) == []
    # The comparison does see a difference when there is one.
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_articles_content_hash"))
        connection.execute(text("ALTER TABLE articles ADD COLUMN stray TEXT"))
    kinds = {entry[0] for entry in schema_diff(engine)}
    assert {"add_index", "remove_column"} <= kinds
    engine.dispose()


def test_prepare_database_is_idempotent_and_refreshes_outlets(db_url):
    engine = prepare_database(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE outlets SET name_en = 'stale' WHERE slug = 'aawsat'"))
        connection.execute(text(
            "INSERT INTO outlets (slug, name_ar, registered) VALUES ('elyomnew', 'اليوم الجديد', false)"
        ))
    prepare_database(engine)
    prepare_database(db_url).dispose()
    with engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT slug, name_en FROM outlets")).all())
    assert rows["aawsat"] == "Asharq Al-Awsat"
    assert "elyomnew" in rows  # outlets found in articles stay
    assert len(rows) == len(all_outlets()) + 1
    engine.dispose()


def test_migrations_run_from_any_working_directory_and_downgrade(tmp_path, monkeypatch, sqlite_url):
    monkeypatch.chdir(tmp_path)
    engine = prepare_database(sqlite_url)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    prepare_database(engine)
    assert schema_diff(engine) == []
    engine.dispose()


def test_database_url_prefers_setting_then_environment_then_default(monkeypatch, tmp_path):
    settings = Settings({"DATABASE_URL": "postgresql://crawler@db.example/news"})
    assert database_url(settings) == "postgresql+psycopg://crawler@db.example/news"
    monkeypatch.setenv("DATABASE_URL", "sqlite:////srv/news.db")
    # Scrapy's order: the setting (-s, scrapyd's setting=) over the environment.
    assert database_url(settings) == "postgresql+psycopg://crawler@db.example/news"
    assert database_url(Settings({"DATABASE_URL": None})) == "sqlite:////srv/news.db"
    monkeypatch.delenv("DATABASE_URL")

    monkeypatch.setattr(db_session, "project_root", lambda: tmp_path / "project")
    default = database_url(Settings({"DATABASE_URL": None}))
    assert default == f"sqlite:///{tmp_path / 'project' / 'data' / 'news.db'}"
    assert (tmp_path / "project" / "data").is_dir()
    assert database_url() == default


def test_project_root_is_the_checkout_holding_scrapy_cfg():
    assert (db_session.project_root() / "scrapy.cfg").exists()


def test_sqlite_engine_uses_wal_and_enforces_foreign_keys(sqlite_url):
    engine = prepare_database(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO articles (url, outlet, first_seen_at, last_seen_at) "
                "VALUES ('https://x.example/1', 'no-such-outlet', '2024-01-01', '2024-01-01')"
            ))
    engine.dispose()


def test_datetimes_round_trip_as_aware_utc(db_url):
    engine = prepare_database(db_url)
    gulf = timezone(timedelta(hours=4))
    published = datetime(2024, 11, 19, 9, 30, 15, tzinfo=gulf)
    naive = datetime(2024, 11, 20, 1, 2, 3)
    with engine.begin() as connection:
        connection.execute(
            Base.metadata.tables["articles"].insert(),
            {"url": "https://x.example/1", "published_at": published, "modified_at": naive,
             "first_seen_at": published, "last_seen_at": published},
        )
    with engine.connect() as connection:
        row = connection.execute(Base.metadata.tables["articles"].select()).one()
    assert row.published_at == published
    assert row.published_at.utcoffset() == timedelta(0)
    assert row.published_at.hour == 5
    assert row.modified_at == naive.replace(tzinfo=timezone.utc)
    engine.dispose()


def test_sqlite_stores_iso_utc_text_readable_without_sqlalchemy(sqlite_url):
    engine = prepare_database(sqlite_url)
    published = datetime(2024, 11, 19, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    with engine.begin() as connection:
        connection.execute(
            Base.metadata.tables["articles"].insert(),
            {"url": "https://x.example/1", "published_at": published,
             "first_seen_at": published, "last_seen_at": published},
        )
    engine.dispose()
    raw = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    stored, day = raw.execute("SELECT published_at, substr(published_at, 1, 10) FROM articles").fetchone()
    raw.close()
    assert stored == "2024-11-20T04:30:00+00:00"
    assert day == "2024-11-20"


def test_postgres_sessions_run_in_utc_whatever_the_server_default(postgres_server):
    url = postgres_server.create_database("dubai_default")
    engine = prepare_database(url)
    with engine.begin() as connection:
        connection.execute(text("ALTER DATABASE dubai_default SET timezone TO 'Asia/Dubai'"))
    engine.dispose()
    engine = make_engine(url)  # new connections pick up the database default
    with engine.connect() as connection:
        assert connection.execute(text("SHOW timezone")).scalar() == "UTC"
        value = connection.execute(text("SELECT TIMESTAMPTZ '2024-11-19 12:00:00+04'")).scalar()
    assert value.isoformat() == "2024-11-19T08:00:00+00:00"
    engine.dispose()
