"""Getting the articles out: Scrapy feed exports of a crawl (`scrapy crawl -O`),
`scrapy export` to JSON Lines, CSV and Parquet read back with pandas and
pyarrow, and the SQL views, on real SQLite and PostgreSQL databases."""
from __future__ import annotations

import dataclasses
import io
import json
import sqlite3
from datetime import datetime, timezone

import pandas
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from crawler.export.columns import LIST, LIST_SEPARATORS, article_columns
from crawler.export.exporter import Progress, export_articles, write_articles
from crawler.export.files import written_whole
from crawler.export.source import ArticleFilter, article_batches, count_articles, open_for_reading
from crawler.items import ArticleItem
from crawler.search import search
from crawler.settings import FEED_EXPORT_FIELDS
from db.models import Article
from db.session import make_engine, prepare_database
from db.store import ArticleStore, split_list
from tests.crawl_runner import run_crawl, run_scrapy
from tests.replay_runner import REPO
from tests.sites.server import FixtureServer

SEED_FILES = sorted((REPO / "seeds").glob("*.txt"))
UTC = timezone.utc


def stored_rows(url: str) -> dict[str, dict]:
    """The articles table through the models (times as aware UTC datetimes), by URL."""
    engine = prepare_database(url)
    try:
        with engine.connect() as connection:
            return {row.url: dict(row._mapping) for row in connection.execute(select(Article.__table__))}
    finally:
        engine.dispose()


def as_text(value) -> str:
    """A stored value as a text format writes it (CSV; a time in ISO 8601 UTC)."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def as_listed(name: str, value):
    """A stored value as JSON and Parquet hold it: a joined list split."""
    return split_list(value, LIST_SEPARATORS[name]) if name in LIST_SEPARATORS else value


def moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- scrapy crawl -O --------------------------------------------------------------


def test_crawl_feed_exports_write_the_stored_articles_in_table_order(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    feeds = {fmt: tmp_path / f"out.{fmt}" for fmt in ("jsonl", "csv", "json")}
    with FixtureServer(slow_delay=0.2) as server:
        result = run_crawl(server, db_url, "aawsat.com", workdir=tmp_path,
                           extra=tuple(arg for path in feeds.values() for arg in ("-O", str(path))))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Error caught on signal handler" not in result.stderr, result.stderr[-3000:]
    rows = stored_rows(db_url)
    assert len(rows) >= 3

    # The columns of `articles` an item carries, in the table's order; never the raw page.
    item_fields = {f.name for f in dataclasses.fields(ArticleItem)}
    assert FEED_EXPORT_FIELDS == [c.name for c in Article.__table__.columns if c.name in item_fields]

    jsonl = feeds["jsonl"].read_text(encoding="utf-8")
    assert "\\u06" not in jsonl and "الشرق الأوسط" in jsonl  # readable Arabic
    records = [json.loads(line) for line in jsonl.splitlines()]
    assert json.loads(feeds["json"].read_text(encoding="utf-8")) == records
    assert [list(r) for r in records] == [FEED_EXPORT_FIELDS] * len(records)
    assert sorted(r["url"] for r in records) == sorted(rows)  # every stored article, once, no rejected page
    for record in records:
        row = rows[record["url"]]
        for name, value in record.items():
            if name.endswith("_at"):
                assert moment(value) == row[name], name
                assert value is None or value.endswith("+00:00"), (name, value)
            else:
                assert value == as_listed(name, row[name]), name

    table = pandas.read_csv(feeds["csv"], dtype=str, keep_default_na=False)
    assert list(table.columns) == FEED_EXPORT_FIELDS
    assert sorted(table["url"]) == sorted(rows)
    for line in table.to_dict("records"):
        row = rows[line["url"]]
        for name, value in line.items():
            assert value == as_text(row[name]), name  # lists joined as in the database


# --- scrapy export ----------------------------------------------------------------

LISTED = ArticleItem(
    url="https://aawsat.com/home/article/4711", outlet="aawsat", title="وزير الخارجية في بكين",
    body="نص الخبر.\n\nفقرة ثانية.", content_hash="listed-1", authors=["سامي عمارة", "بكين: «الشرق الأوسط»"],
    tags=["روسيا", "الصين"], captions=["لافروف ووانغ يي", "صورة ثانية; بفاصلة"], word_count=3,
    published_at=datetime(2024, 4, 9, 14, 32, tzinfo=UTC), warnings=["no_section"],
)


@pytest.fixture(scope="module")
def seeded_sqlite(replayed_seeds, tmp_path_factory) -> str:
    """The replayed seeds (a copy), and one article with lists of several values."""
    copy = tmp_path_factory.mktemp("seeds") / "news.db"
    with sqlite3.connect(replayed_seeds) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    url = f"sqlite:///{copy}"
    engine = prepare_database(url)
    ArticleStore(engine).write_articles([dataclasses.replace(LISTED)])
    engine.dispose()
    return url


def test_replay_feed_holds_every_seed_article_as_stored(replayed_seeds):
    rows = stored_rows(f"sqlite:///{replayed_seeds}")
    feed = replayed_seeds.with_name("seeds.jsonl")
    records = pandas.read_json(feed, lines=True, dtype=False)
    assert list(records.columns) == FEED_EXPORT_FIELDS and len(records) == len(SEED_FILES)
    for record in json.loads(records.to_json(orient="records", force_ascii=False)):
        row = rows[record["url"]]
        assert record["fetched_at"] is None and row["fetched_at"]  # a saved file has no fetch time: the store's
        for name, value in record.items():
            if name == "fetched_at":
                continue
            if name.endswith("_at"):
                assert moment(value) == row[name], name
            else:
                assert value == as_listed(name, row[name]), name


def test_export_round_trips_every_article_in_each_format(seeded_sqlite, tmp_path):
    rows = stored_rows(seeded_sqlite)
    assert len(rows) == len(SEED_FILES) + 1
    names = [c.name for c in article_columns()]
    assert names == [c.name for c in Article.__table__.columns]
    result = run_scrapy(seeded_sqlite, "export", "-o", str(tmp_path / "all.parquet"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"exported {len(rows)} articles to {tmp_path / 'all.parquet'} (parquet)" in result.stderr
    engine = open_for_reading(seeded_sqlite)
    try:  # the same code without a process of its own (the command is run by the other tests)
        for fmt in ("jsonl", "csv"):
            written = export_articles(engine, str(tmp_path / f"all.{fmt}"), fmt, ArticleFilter(),
                                      progress_stream=io.StringIO(), batch_rows=4)
            assert written == len(rows)
    finally:
        engine.dispose()

    records = pandas.read_json(tmp_path / "all.jsonl", lines=True, dtype=False)
    assert list(records.columns) == names
    table = pq.read_table(tmp_path / "all.parquet")
    assert table.schema.names == names
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("authors").type) == "list<element: string>"
    assert str(table.schema.field("word_count").type) == "int64"
    csv_rows = pandas.read_csv(tmp_path / "all.csv", dtype=str, keep_default_na=False).to_dict("records")

    json_rows = json.loads(records.to_json(orient="records", force_ascii=False))
    for json_row, parquet_row, csv_row in zip(json_rows, table.to_pylist(), csv_rows, strict=True):
        row = rows[json_row["url"]]
        for name in names:
            expected = as_listed(name, row[name])
            assert parquet_row[name] == expected, name
            if name.endswith("_at"):
                assert moment(json_row[name]) == row[name], name
            else:
                assert json_row[name] == expected, name
            assert csv_row[name] == as_text(row[name]), name
    listed = next(r for r in table.to_pylist() if r["url"] == LISTED.url)
    assert listed["authors"] == LISTED.authors and listed["captions"] == LISTED.captions
    assert listed["published_at"] == LISTED.published_at


def test_export_filters_by_outlet_and_publication_day(seeded_sqlite, tmp_path):
    rows = stored_rows(seeded_sqlite)
    result = run_scrapy(seeded_sqlite, "export", "-o", "-", "--format", "jsonl", "--outlet", "aawsat",
                        "--outlet", "24ae", "--since", "2024-04-09", "--until", "2024-11-19")
    assert result.returncode == 0, result.stderr[-3000:]
    exported = [json.loads(line)["url"] for line in result.stdout.splitlines()]
    day = lambda row: row["published_at"] and row["published_at"].date().isoformat()  # noqa: E731
    expected = [url for url, row in sorted(rows.items(), key=lambda item: item[1]["id"])
                if row["outlet"] in ("aawsat", "24ae") and row["published_at"] and "2024-04-09" <= day(row) <= "2024-11-19"]
    assert exported == expected and LISTED.url in exported and len(expected) >= 2
    # --until with a time stops before that moment.
    engine = open_for_reading(seeded_sqlite)
    try:
        until = ArticleFilter.from_text(until=LISTED.published_at.isoformat())
        urls = [row[1] for rows_ in article_batches(engine, until, batch_rows=2) for row in rows_]
    finally:
        engine.dispose()
    assert LISTED.url not in urls
    assert all(rows[url]["published_at"] < LISTED.published_at for url in urls)


def test_export_query_takes_the_articles_the_search_finds(seeded_sqlite, tmp_path):
    result = run_scrapy(seeded_sqlite, "export", "-o", str(tmp_path / "found.csv"), "--query", "لافروف")
    assert result.returncode == 0, result.stderr[-3000:]
    exported = set(pandas.read_csv(tmp_path / "found.csv")["id"])
    found = {hit["id"] for hit in search(seeded_sqlite, "لافروف", limit=100)}
    assert exported == found and 0 < len(found) < len(stored_rows(seeded_sqlite))
    engine = open_for_reading(seeded_sqlite)
    try:
        nothing = ArticleFilter(query="-لافروف")  # no word to look for
        assert [row for rows_ in article_batches(engine, nothing) for row in rows_] == []
    finally:
        engine.dispose()


def test_export_on_sqlite_lets_a_crawl_store_meanwhile_and_sees_the_database_as_it_started(sqlite_url):
    writer = make_engine(sqlite_url, timeout=1.0)  # a writer that gives up after 1 s of a held lock
    store = ArticleStore(prepare_database(writer))
    store.write_articles([dataclasses.replace(LISTED, url=f"{LISTED.url}{n}", content_hash=f"h{n}") for n in range(5)])
    reader = open_for_reading(sqlite_url)
    try:
        batches = article_batches(reader, ArticleFilter(), batch_rows=2)
        seen = [row[1] for row in next(batches)]
        late = dataclasses.replace(LISTED, url=f"{LISTED.url}late", content_hash="late")
        assert store.write_articles([late]) == ["new"]  # stored while the export reads
        seen += [row[1] for rows_ in batches for row in rows_]
    finally:
        reader.dispose()
        writer.dispose()
    assert seen == [f"{LISTED.url}{n}" for n in range(5)]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_export_progress_line_is_rewritten_in_place_on_a_terminal(seeded_sqlite, tmp_path):
    terminal = Terminal()
    engine = open_for_reading(seeded_sqlite)
    try:
        progress = Progress(count_articles(engine, ArticleFilter()), terminal, interval=0)
        written = write_articles(engine, io.BytesIO(), "jsonl", ArticleFilter(), progress, batch_rows=2)
        progress.finish("out.jsonl", "jsonl")
    finally:
        engine.dispose()
    *running, last = [line for line in terminal.getvalue().split("\r") if line.strip()]
    assert written == 6 and [line.split(" articles")[0] for line in running] == [
        "exported 2/6", "exported 4/6", "exported 6/6"]
    assert "(33%)" in running[0] and last.startswith("exported 6 articles to out.jsonl (jsonl) in ")


def test_export_of_an_unusable_database_says_why(tmp_path):
    result = run_scrapy(f"sqlite:///{tmp_path / 'missing' / 'news.db'}", "export", "-o", str(tmp_path / "x.csv"))
    assert result.returncode == 2
    assert "error: cannot use the database" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_export_streams_from_postgresql_in_batches(postgres_server, tmp_path):
    url = postgres_server.create_database("export_stream")
    engine = prepare_database(url)
    items = [dataclasses.replace(LISTED, url=f"{LISTED.url}{n}", content_hash=f"h{n}", tags=[f"وسم {n}"],
                                 title="خبر عن موسكو" if n % 2 else "خبر عن بكين") for n in range(7)]
    ArticleStore(engine).write_articles(items)
    engine.dispose()
    engine = open_for_reading(url)
    try:
        batches = list(article_batches(engine, ArticleFilter(), batch_rows=3))
        moscow = [row for rows_ in article_batches(engine, ArticleFilter(query="موسكو")) for row in rows_]
        written = export_articles(engine, str(tmp_path / "pg.parquet"), "parquet", ArticleFilter(),
                                  progress_stream=io.StringIO(), batch_rows=3)
    finally:
        engine.dispose()
    assert [len(b) for b in batches] == [3, 3, 1] and written == 7
    assert [row[1] for row in moscow] == [f"{LISTED.url}{n}" for n in (1, 3, 5)]
    table = pq.read_table(tmp_path / "pg.parquet")
    assert table.num_rows == 7 and table.column("tags").to_pylist() == [[f"وسم {n}"] for n in range(7)]
    assert set(table.column("published_at").to_pylist()) == {LISTED.published_at}
    assert not list(tmp_path.glob(".pg.parquet.*"))  # the temporary file became the export


def test_export_cut_off_by_the_database_leaves_no_file(postgres_server, tmp_path):
    url = postgres_server.create_database("export_cut")
    engine = prepare_database(url)
    ArticleStore(engine).write_articles(
        [dataclasses.replace(LISTED, url=f"{LISTED.url}{n}", content_hash=f"h{n}") for n in range(6)])
    engine.dispose()
    (tmp_path / "cut.parquet").write_bytes(b"the previous export")
    admin = make_engine(url)

    class Outage(Terminal):
        def write(self, line: str) -> int:  # after the first batch: the server ends the export's session
            with admin.begin() as connection:
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            return super().write(line)

    reader = open_for_reading(url)
    try:
        with pytest.raises(OperationalError), written_whole(tmp_path / "cut.parquet") as stream:
            write_articles(reader, stream, "parquet", ArticleFilter(), Progress(6, Outage(), interval=0), batch_rows=2)
    finally:
        reader.dispose()
        admin.dispose()
    assert (tmp_path / "cut.parquet").read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.parquet"]


# --- SQL views ----------------------------------------------------------------------


def test_views_answer_the_common_questions_on_both_databases(db_url):
    engine = prepare_database(db_url)
    second = dataclasses.replace(LISTED, url="https://24.ae/article/99", outlet="24ae", content_hash="listed-2",
                                 authors=["سامي عمارة"], tags=[], published_at=datetime(2024, 4, 9, 23, 59, tzinfo=UTC))
    undated = dataclasses.replace(LISTED, url="https://24.ae/article/100", outlet="24ae", content_hash="listed-3",
                                  authors=[], tags=["الصين"], published_at=None)
    ArticleStore(engine).write_articles([dataclasses.replace(LISTED), second, undated])
    try:
        with engine.connect() as connection:
            query = lambda sql: [tuple(r) for r in connection.execute(text(sql))]  # noqa: E731
            ids = dict(query("SELECT url, id FROM articles"))
            first, other, last = ids[LISTED.url], ids[second.url], ids[undated.url]
            assert query("SELECT article_id, position, author FROM article_authors ORDER BY article_id, position") == [
                (first, 1, "سامي عمارة"), (first, 2, "بكين: «الشرق الأوسط»"), (other, 1, "سامي عمارة"),
            ]
            assert query("SELECT author, count(*) FROM article_authors GROUP BY author ORDER BY count(*) DESC") == [
                ("سامي عمارة", 2), ("بكين: «الشرق الأوسط»", 1),
            ]
            assert query("SELECT article_id, outlet, position, tag FROM article_tags ORDER BY article_id, position") == [
                (first, "aawsat", 1, "روسيا"), (first, "aawsat", 2, "الصين"), (last, "24ae", 1, "الصين"),
            ]
            days = query("SELECT outlet, CAST(day AS TEXT), articles FROM daily_articles")
            assert sorted(days, key=str) == [("24ae", "2024-04-09", 1), ("24ae", None, 1), ("aawsat", "2024-04-09", 1)]
            named = query("SELECT url, outlet_name_ar, outlet_name_en, title FROM articles_with_outlet ORDER BY id")
            assert named[0] == (LISTED.url, "الشرق الأوسط", "Asharq Al-Awsat", LISTED.title)
            assert named[1][1:3] == ("موقع 24", "24.ae")
    finally:
        engine.dispose()
