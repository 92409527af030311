"""The article store (dedupe, batching, rejected pages) and the storage pipeline,
on real SQLite and PostgreSQL databases."""
from __future__ import annotations

import asyncio
import gzip
import hashlib
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.utils.test import get_crawler
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from crawler.items import ArticleItem, RejectedPage
from db.models import Article, OutletRow, RejectedPageRow
from db.session import prepare_database
from db.store import ArticleStore, split_list
from pipelines.spool import SpoolFile, claim_earlier, spool_directory
from pipelines.store import StoragePipeline

GULF = timezone(timedelta(hours=4))


def article(url: str, body: str = "نص الخبر الأول.\n\nفقرة ثانية.", **fields) -> ArticleItem:
    fields.setdefault("content_hash", hashlib.sha1(body.encode()).hexdigest())
    fields.setdefault("title", "عنوان الخبر")
    fields.setdefault("outlet", "aawsat")
    return ArticleItem(url=url, body=body, **fields)


@pytest.fixture
def engine(db_url):
    engine = prepare_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine) -> ArticleStore:
    return ArticleStore(engine)


def rows(engine) -> list[Article]:
    with Session(engine) as session:
        return list(session.scalars(select(Article).order_by(Article.id)))


def rejects(engine) -> dict[str, RejectedPageRow]:
    with Session(engine) as session:
        return {row.url: row for row in session.scalars(select(RejectedPageRow))}


def test_new_unchanged_updated(engine, store):
    first = article("https://aawsat.com/a/1", authors=["سامي عمارة", "وكالات"], tags=["روسيا"])
    second = article("https://aawsat.com/a/2", body="خبر آخر تماما.")
    assert store.write_articles([first, second]) == ["new", "new"]
    [before, _] = rows(engine)

    assert store.write_articles([first]) == ["unchanged"]
    [after, _] = rows(engine)
    assert after.last_seen_at > before.last_seen_at
    assert after.first_seen_at == before.first_seen_at

    edited = article("https://aawsat.com/a/1", body="نص معدل.", title="عنوان معدل")
    assert store.write_articles([edited]) == ["updated"]
    [row, _] = rows(engine)
    assert (row.id, row.title, row.body, row.authors) == (before.id, "عنوان معدل", "نص معدل.", None)
    assert row.content_hash == edited.content_hash

    # Metadata alone counts as a change too (e.g. a date found by a better parser).
    dated = article("https://aawsat.com/a/1", body="نص معدل.", title="عنوان معدل",
                    published_at=datetime(2024, 11, 19, 10, 0, tzinfo=GULF))
    assert store.write_articles([dated]) == ["updated"]
    assert store.write_articles([dated]) == ["unchanged"]


def test_same_content_at_another_url_keeps_the_first_row(engine, store):
    original = article("https://24.ae/article/1/x", outlet="24ae", authors=["محرر"])
    copy = article("https://arabkhabar.com/a/9", outlet="24ae", via="arabkhabar.com")
    assert store.write_articles([original]) == ["new"]
    seen = rows(engine)[0].last_seen_at
    assert store.write_articles([copy]) == ["unchanged"]
    assert store.write_articles([copy, original]) == ["unchanged", "unchanged"]
    [row] = rows(engine)
    assert row.url == original.url and row.via is None and row.authors == "محرر"
    assert row.last_seen_at > seen


def test_duplicates_within_one_batch(engine, store):
    item = article("https://aawsat.com/a/1")
    same_text_elsewhere = article("https://m.aawsat.com/a/1")
    revised = article("https://aawsat.com/a/1", body="نص آخر كليا.")
    statuses = store.write_articles([item, item, same_text_elsewhere, revised])
    assert statuses == ["new", "unchanged", "unchanged", "updated"]
    [row] = rows(engine)
    assert row.body == "نص آخر كليا."


def test_a_batch_is_one_transaction_with_one_lookup(engine, store):
    store.stories = None  # story assignment has its own statement budget (tests/test_stories.py)
    store.write_articles([article(f"https://aawsat.com/a/{n}", body=f"نص {n}") for n in range(0, 40, 2)])
    statements, transactions = [], []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    event.listen(engine, "begin", lambda conn: transactions.append(conn))
    batch = [article(f"https://aawsat.com/a/{n}", body=f"نص {n}") for n in range(40)]
    statuses = store.write_articles(batch)
    assert statuses.count("new") == 20 and statuses.count("unchanged") == 20
    assert len(transactions) == 1
    lookups = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM articles" in s]
    assert len(lookups) == 1
    assert len(statements) < 10  # inserts and updates go out in bulk, not per row


def test_a_failing_batch_stores_nothing(engine, store):
    good = article("https://aawsat.com/a/1")
    broken = article(None, body="بلا رابط")
    with pytest.raises(Exception):
        store.write_articles([good, broken])
    assert rows(engine) == []


def test_lists_dates_and_outlets_are_stored_queryably(engine, store):
    item = article(
        "https://khabaren.net/news/x", outlet="khaberain", authors=["أحمد علي", "منى سعيد"],
        tags=["مصر", "اقتصاد"], captions=["صورة أولى", "صورة ثانية"],
        published_at=datetime(2024, 11, 19, 2, 30, tzinfo=GULF), fetched_at=datetime(2025, 1, 2, tzinfo=timezone.utc),
    )
    unknown = article("https://elyomnew.com/123", body="خبر من موقع آخر.", outlet="elyomnew",
                      outlet_name="اليوم الجديد")
    anonymous = article("file:///captures/x.txt", body="خبر بلا مصدر.", outlet=None)
    assert store.write_articles([item, unknown, anonymous]) == ["new"] * 3

    [stored, other, no_outlet] = rows(engine)
    assert stored.authors == "أحمد علي; منى سعيد" and split_list(stored.tags) == ["مصر", "اقتصاد"]
    assert stored.captions == "صورة أولى\nصورة ثانية"
    assert stored.published_at == datetime(2024, 11, 18, 22, 30, tzinfo=timezone.utc)
    assert stored.published_at.tzinfo is not None and stored.published_at.utcoffset() == timedelta(0)
    assert stored.fetched_at == datetime(2025, 1, 2, tzinfo=timezone.utc)
    assert (other.outlet, no_outlet.outlet) == ("elyomnew", None)
    with Session(engine) as session:
        added = session.get(OutletRow, "elyomnew")
        assert (added.name_ar, added.name_en, added.registered) == ("اليوم الجديد", None, False)
        found = session.execute(text(
            "SELECT url FROM articles WHERE authors LIKE :name AND tags LIKE :tag"
        ), {"name": "%منى سعيد%", "tag": "%اقتصاد%"}).scalars().all()
    assert found == [item.url]


def test_sqlite_dates_read_raw_give_the_utc_day(sqlite_url):
    engine = prepare_database(sqlite_url)
    published = datetime(2024, 11, 19, 12, 0, tzinfo=GULF)
    ArticleStore(engine).write_articles([article("file:///seeds/000_d63afe.txt", published_at=published)])
    engine.dispose()
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    connection.row_factory = sqlite3.Row
    row = dict(connection.execute("SELECT * FROM articles").fetchone())
    by_day = connection.execute(
        "SELECT substr(published_at, 1, 10) AS day, count(*) FROM articles GROUP BY day"
    ).fetchall()
    connection.close()
    assert str(row["published_at"])[:10] == "2024-11-19"
    assert row["published_at"] == "2024-11-19T08:00:00+00:00"
    assert [tuple(r) for r in by_day] == [("2024-11-19", 1)]


def test_rejected_pages_count_attempts_keep_raw_and_clear_on_success(engine, store):
    page = b"<html>" + "صفحة بلا نص ".encode() * 200 + b"</html>"
    store.write_rejects([
        RejectedPage(url="https://aawsat.com/a/1", reason="no_body", detail="0 words", raw=page),
        RejectedPage(url="file:///in/x.txt", input_ref="/in/x.txt", reason="undecodable"),
        RejectedPage(url="file:///in/x.txt", input_ref="/in/x.txt", reason="undecodable"),
    ])
    store.write_rejects([RejectedPage(url="https://aawsat.com/a/1", reason="no_body", detail="3 words")])
    found = rejects(engine)
    assert found["https://aawsat.com/a/1"].attempts == 2
    assert found["https://aawsat.com/a/1"].detail == "3 words"
    assert found["https://aawsat.com/a/1"].raw_gzip == page  # an attempt without the page keeps the earlier copy
    assert found["file:///in/x.txt"].attempts == 2
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT raw_gzip FROM rejected_pages WHERE raw_gzip IS NOT NULL")).scalar()
    assert gzip.decompress(stored) == page and len(stored) < len(page) / 5

    store.write_articles([
        article("https://aawsat.com/a/1"),
        article("https://real.example/x", body="نص مختلف.", input_ref="/in/x.txt"),
    ])
    assert rejects(engine) == {}


def pipeline_for(url: str, batch_size: int, tmp_path, **settings):
    crawler = get_crawler(settings_dict={
        "DATABASE_URL": url, "STORAGE_BATCH_SIZE": batch_size, "STORAGE_SPOOL_DIR": str(tmp_path / "spool"),
        **settings,
    })
    return crawler, StoragePipeline.from_crawler(crawler)


async def written(pipeline) -> None:
    """Until the pipeline has written every full batch it holds."""
    while pipeline.queued() >= pipeline.batch_size or pipeline.in_flight:
        await asyncio.sleep(0.01)


def test_pipeline_flushes_in_batches_and_counts(db_url, engine, tmp_path):
    crawler, pipeline = pipeline_for(db_url, 3, tmp_path)
    items = [
        article("https://aawsat.com/a/1", body="أ"),
        article("https://24.ae/article/1/x", body="ب", outlet="24ae"),
        RejectedPage(url="https://aawsat.com/a/3", reason="no_body", outlet="aawsat"),
        article("https://elyomnew.com/4", body="ج", outlet="elyomnew"),
        article("https://aawsat.com/a/1", body="أ"),
    ]

    async def run():
        await pipeline.open_spider()
        for item in items[:2]:
            assert pipeline.process_item(item) is item
        await written(pipeline)
        assert rows(engine) == []
        assert crawler.stats.get_value("articles/queued") == 2
        pipeline.process_item(items[2])
        await written(pipeline)
        assert len(rows(engine)) == 2 and len(rejects(engine)) == 1
        for item in items[3:]:
            pipeline.process_item(item)
        await written(pipeline)
        assert len(rows(engine)) == 2
        await pipeline.close_spider()

    asyncio.run(run())
    assert len(rows(engine)) == 3
    stats = crawler.stats.get_stats()
    assert stats["articles/aawsat/new"] == 1 and stats["articles/aawsat/unchanged"] == 1
    assert stats["articles/24ae/new"] == 1 and stats["articles/other/new"] == 1
    assert stats["articles/new"] == 3 and stats["articles/unchanged"] == 1
    assert stats["articles/aawsat/rejected/no_body"] == 1 and stats["articles/rejected"] == 1
    assert stats["articles/queued"] == 0
    assert "articles/storage_errors" not in stats and "articles/not_stored" not in stats


def run_pipeline(pipeline, items, setup=None) -> None:
    async def run():
        await pipeline.open_spider()
        if setup is not None:
            setup(pipeline)
        for item in items:
            pipeline.process_item(item)
        await pipeline.close_spider()

    asyncio.run(run())


def test_pipeline_keeps_items_a_database_error_refuses(db_url, engine, tmp_path, caplog):
    crawler, pipeline = pipeline_for(db_url, 10, tmp_path)
    good = [article(f"https://aawsat.com/a/{n}", body=f"نص {n}") for n in range(3)]
    unstorable = article(None, body="بلا رابط", input_ref="/captures/broken.txt")
    run_pipeline(pipeline, [good[0], unstorable, *good[1:]])

    assert {row.url for row in rows(engine)} == {item.url for item in good}
    kept = rejects(engine)["/captures/broken.txt"]
    assert kept.reason == "storage_error" and "IntegrityError" in kept.detail
    stats = crawler.stats.get_stats()
    assert stats["articles/storage_errors"] == 1 and stats["articles/storage_batch_retries"] == 1
    assert stats["articles/new"] == 3
    assert stats["articles/aawsat/rejected/storage_error"] == 1 and stats["articles/rejected"] == 1
    assert "storage/retries" not in stats  # a data error is no outage
    assert "Could not store" in caplog.text and "Traceback" not in caplog.text


def test_pipeline_passes_other_items_through(sqlite_url, tmp_path):
    _, pipeline = pipeline_for(sqlite_url, 2, tmp_path)
    other = {"url": "https://x.example"}

    async def run():
        await pipeline.open_spider()
        assert pipeline.process_item(other) is other
        await pipeline.close_spider()

    asyncio.run(run())


# --- outages: a store that fails as an unavailable database does ----------------------


class Outage:
    """Wraps the pipeline's store: every write fails like a lost connection
    while `down` (True, or a number of attempts to fail); the database refuses
    the articles whose URLs are in `refuse`, as a constraint would."""

    def __init__(self, store: ArticleStore, down: bool | int = True, refuse: frozenset = frozenset()):
        self.store, self.down, self.refuse = store, down, refuse
        self.engine = store.engine
        self.attempts = 0

    def _fail_if_down(self) -> None:
        self.attempts += 1
        if self.down is True or self.down is not False and self.attempts <= self.down:
            raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("server closed the connection"))

    def write_articles(self, items):
        self._fail_if_down()
        if any(item.url in self.refuse for item in items):
            raise IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("CHECK constraint failed"))
        return self.store.write_articles(items)

    def write_rejects(self, pages):
        self._fail_if_down()
        return self.store.write_rejects(pages)


def with_outage(outage_holder: list, **options):
    def setup(pipeline):
        outage = Outage(pipeline.writer.store, **options)
        pipeline.writer.store = outage
        outage_holder.append(outage)
    return setup


def test_pipeline_retries_through_an_outage_in_order_and_spools_beyond_its_bound(sqlite_url, tmp_path, caplog):
    engine = prepare_database(sqlite_url)
    crawler, pipeline = pipeline_for(sqlite_url, 5, tmp_path, STORAGE_MAX_HELD=10, STORAGE_RETRY_DELAY=0.01,
                                     STORAGE_RETRY_DELAY_MAX=0.05)
    first = article("https://aawsat.com/a/0", body="النص الأول")
    revised = article("https://aawsat.com/a/0", body="النص المعدل")
    items = [first, *(article(f"https://aawsat.com/a/{n}", body=f"نص {n}") for n in range(1, 30)), revised]
    outages: list[Outage] = []

    async def run():
        await pipeline.open_spider()
        with_outage(outages)(pipeline)
        for item in items:
            pipeline.process_item(item)
            await asyncio.sleep(0)
        while outages[0].attempts < 3 or pipeline.in_flight:
            await asyncio.sleep(0.01)
        # At the bound (which a failed batch put back may pass), the rest in the spool.
        assert pipeline.spool is not None and pipeline.spool.unread >= len(items) - 10 - 5
        assert len(pipeline.held) + pipeline.spool.unread == len(items)
        assert crawler.stats.get_value("articles/queued") == len(items)
        outages[0].down = False
        await pipeline.close_spider()

    asyncio.run(run())
    stored = rows(engine)
    assert [row.url for row in stored] == [item.url for item in items[:-1]]
    assert stored[0].body == "النص المعدل" and stored[0].version == 2  # the later copy came last
    stats = crawler.stats.get_stats()
    assert stats["articles/new"] == 30 and stats["articles/updated"] == 1
    assert stats["storage/retries"] >= 3 and "articles/not_stored" not in stats
    assert not list((tmp_path / "spool").rglob("*.jsonl"))
    assert "The database is unavailable" in caplog.text and "Traceback" not in caplog.text
    engine.dispose()


def test_pipeline_spools_big_pages_beyond_its_bytes_bound_during_an_outage(sqlite_url, tmp_path):
    engine = prepare_database(sqlite_url)
    crawler, pipeline = pipeline_for(sqlite_url, 2, tmp_path, STORAGE_MAX_HELD=1000, STORAGE_MAX_HELD_BYTES=50_000,
                                     STORAGE_RETRY_DELAY=0.01, STORAGE_RETRY_DELAY_MAX=0.05)
    items = []
    for n in range(12):
        item = article(f"https://aawsat.com/big/{n}", body=f"نص طويل {n}")
        item.raw = b"<html>" + bytes(20_000) + b"</html>"
        items.append(item)
    outages: list[Outage] = []

    async def run():
        await pipeline.open_spider()
        with_outage(outages)(pipeline)
        for item in items:
            pipeline.process_item(item)
            await asyncio.sleep(0)
        # Far below the count bound, the raw pages' bytes sent the rest to the spool.
        assert pipeline.spool is not None and pipeline.spool.unread >= len(items) - 5
        # The bound, plus the page that crossed it and a failed batch put back.
        assert sum(len(entry.raw) for entry in pipeline.held) <= 50_000 + 3 * 20_013
        outages[0].down = False
        await pipeline.close_spider()

    asyncio.run(run())
    assert [row.url for row in rows(engine)] == [item.url for item in items]
    engine.dispose()


def test_pipeline_spools_what_an_outage_keeps_and_the_next_run_stores_it_first(sqlite_url, tmp_path):
    engine = prepare_database(sqlite_url)
    settings = {"STORAGE_MAX_HELD": 4, "STORAGE_RETRY_DELAY": 0.01, "STORAGE_RETRY_MAX_WAIT": 0.2}
    crawler, pipeline = pipeline_for(sqlite_url, 2, tmp_path, **settings)
    page = b"<html>" + "صفحة ".encode() * 500 + b"</html>"
    items = [
        article(f"https://aawsat.com/a/{n}", body=f"نص {n}", fetched_url=f"https://aawsat.com/a/{n}",
                http_status=200, http_etag=f'"e{n}"', fetched_at=datetime(2025, 1, 2, tzinfo=timezone.utc), raw=page)
        for n in range(7)
    ]
    items.insert(3, RejectedPage(url="https://aawsat.com/a/x", reason="no_body", outlet="aawsat", raw=page))
    run_pipeline(pipeline, items, with_outage([]))

    stats = crawler.stats.get_stats()
    assert stats["articles/not_stored"] == stats["articles/aawsat/not_stored"] == stats["storage/spooled"] == 8
    spool = Path(stats["storage/spool_file"])
    assert spool.is_file() and spool.parent.parent == tmp_path / "spool"
    assert len(spool.read_text().splitlines()) == 8
    assert rows(engine) == [] and stats["articles/queued"] == 0

    # Any later run on the database stores them first, crawl state and raw page included.
    later, pipeline = pipeline_for(sqlite_url, 2, tmp_path)
    run_pipeline(pipeline, [article("https://aawsat.com/a/new", body="خبر جديد")])
    assert [row.url for row in rows(engine)] == [item.url for item in items if isinstance(item, ArticleItem)] + [
        "https://aawsat.com/a/new"]
    assert rejects(engine)["https://aawsat.com/a/x"].raw_gzip == page
    with engine.connect() as connection:
        etags = connection.execute(text("SELECT etag FROM crawl_state ORDER BY url")).scalars().all()
    assert etags == [f'"e{n}"' for n in range(7)]
    counts = later.stats.get_stats()
    assert (counts["spool/new"], counts["spool/rejected"], counts["articles/new"]) == (7, 1, 1)
    assert not spool.exists()


def test_pipeline_tells_a_refused_item_from_an_unavailable_database(sqlite_url, tmp_path):
    engine = prepare_database(sqlite_url)
    crawler, pipeline = pipeline_for(sqlite_url, 4, tmp_path, STORAGE_RETRY_DELAY=0.01)
    items = [article(f"https://aawsat.com/a/{n}", body=f"نص {n}") for n in range(4)]
    outages: list[Outage] = []
    # Down for the first attempt, then up with one article it refuses.
    run_pipeline(pipeline, items, with_outage(outages, down=1, refuse=frozenset({items[1].url})))

    assert [row.url for row in rows(engine)] == [items[0].url, items[2].url, items[3].url]
    assert rejects(engine)[items[1].url].reason == "storage_error"
    stats = crawler.stats.get_stats()
    assert stats["storage/retries"] == 1 and stats["articles/storage_errors"] == 1
    assert (stats["articles/new"], stats["articles/rejected"]) == (3, 1) and "articles/not_stored" not in stats
    engine.dispose()


def test_unusable_database_closes_the_spider_with_one_line(tmp_path, caplog):
    crawler, pipeline = pipeline_for(f"sqlite:///{tmp_path / 'file.txt' / 'news.db'}", 2, tmp_path)
    (tmp_path / "file.txt").write_text("not a folder")

    async def run():
        with pytest.raises(CloseSpider) as closed:
            await pipeline.open_spider()
        await pipeline.close_spider()
        return closed.value.reason

    assert asyncio.run(run()) == "database_unavailable"
    message = crawler.stats.get_value("storage/database_unavailable")
    assert message.startswith("cannot use the database sqlite:///") and "unable to open database file" in message
    assert "Traceback" not in caplog.text


def test_spool_files_round_trip_and_only_ended_runs_are_claimed(tmp_path):
    directory = spool_directory(tmp_path, "postgresql+psycopg://crawler:s3cret@db.example/news")
    assert directory.parent == tmp_path and "s3cret" not in directory.name
    assert directory == spool_directory(tmp_path, "postgresql+psycopg://crawler:other@db.example/news")
    item = article("https://aawsat.com/a/1", fetched_at=datetime(2025, 1, 2, 3, 4, tzinfo=GULF), raw=b"\x00<html>",
                   authors=["أحمد"], http_etag='"e1"')
    page = RejectedPage(url="file:///x.txt", reason="no_body", raw=None)
    live = SpoolFile.create(directory, "run-1")
    live.append(item)
    assert list(claim_earlier(directory)) == []  # held by a run still going
    assert live.read(5) == [item]
    live.append(page)
    assert live.close_with([item]) == live.path  # the older held item first, then the unread one

    [ended] = claim_earlier(directory)
    assert ended.unread == 2
    entries = ended.read(5)
    assert entries == [item, page] and entries[0].raw == item.raw and entries[0].fetched_at == item.fetched_at
    ended.discard()
    assert list(directory.iterdir()) == []
