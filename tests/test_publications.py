"""Every publication kept: the content-hash dedupe applies within one outlet
only. The same agency text from two outlets is two rows, linked by
`duplicate_of`; one outlet's copies of a text (two URLs of its site, an
aggregator's copy credited to it) are one row. A row is found again by any URL
it is known under. On real SQLite and PostgreSQL databases: the store, two
replays writing into one database at once, and the migration that splits the
rows merged before.
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import event, text

from crawler.items import ArticleItem
from db.keys import publisher, url_key
from db.session import alembic_config, make_engine, prepare_database
from db.store import ArticleStore
from pipelines.dedupe import content_hash
from tests.replay_runner import REPO, SCRAPY
from tests.test_incremental import table

AGENCY_TEXT = (
    "أعلنت وزارة الخارجية الروسية اليوم أن الوزير سيجري محادثات مع نظيره الصيني على هامش قمة مجموعة "
    "العشرين في البرازيل الأسبوع المقبل لبحث العلاقات الثنائية.\n\n"
    "وقال المتحدث باسم الوزارة إن المحادثات ستتناول الوضع في أوكرانيا والتعاون الاقتصادي بين البلدين "
    "وملفات إقليمية أخرى ذات اهتمام مشترك."
)
AAWSAT = "https://aawsat.com/%D8%A7%D9%84%D8%B9%D8%A7%D9%84%D9%85/5000001-x"
AE24 = "https://24.ae/article/900001/x"
TIMES = {name: datetime(2024, 11, day, 8, tzinfo=timezone.utc) for name, day in (("t1", 18), ("t2", 19), ("t3", 20))}


def story(url: str, outlet: str | None, body: str = AGENCY_TEXT, **fields) -> ArticleItem:
    fields.setdefault("title", f"عنوان {outlet}")
    return ArticleItem(url=url, outlet=outlet, body=body, content_hash=content_hash(body), **fields)


@pytest.fixture
def engine(db_url):
    engine = prepare_database(db_url)
    yield engine
    engine.dispose()


def by_url(engine) -> dict[str, dict]:
    return {row["url"]: row for row in table(engine, "articles")}


# --- the store ----------------------------------------------------------------------


def test_one_text_from_two_outlets_is_two_linked_rows_and_one_outlets_copies_one_row(engine):
    store = ArticleStore(engine)
    assert store.write_articles([story(AAWSAT, "aawsat")]) == ["new"]
    assert store.write_articles([story(AE24, "24ae")]) == ["new"]
    copies = [
        story("https://m.aawsat.com/%D8%A7%D9%84%D8%B9%D8%A7%D9%84%D9%85/5000001-x", "aawsat"),  # its mobile site
        story("https://arabkhabar.com/news/77", "24ae", via="arabkhabar.com"),  # an aggregator's copy of 24.ae's
        story("https://khabaren.net/news/talks", "khaberain"),  # a third outlet
    ]
    assert store.write_articles(copies) == ["unchanged", "unchanged", "new"]
    rows = by_url(engine)
    assert set(rows) == {AAWSAT, AE24, "https://khabaren.net/news/talks"}
    first = rows[AAWSAT]
    assert first["duplicate_of"] is None and first["title"] == "عنوان aawsat"
    assert rows[AE24]["duplicate_of"] == rows["https://khabaren.net/news/talks"]["duplicate_of"] == first["id"]
    assert rows[AE24]["title"] == "عنوان 24ae" and rows[AE24]["via"] is None

    # Seen again, in any order: nothing new, nothing lost.
    assert store.write_articles([*copies, story(AE24, "24ae"), story(AAWSAT, "aawsat")]) == ["unchanged"] * 5
    assert len(table(engine, "articles")) == 3

    # 24.ae edits its copy: no longer the same text, no longer linked; edited back, linked again.
    assert store.write_articles([story(AE24, "24ae", body=AGENCY_TEXT + "\n\nوأضاف المتحدث أن موعد اللقاء لم يحدد.")]) \
        == ["updated"]
    assert by_url(engine)[AE24]["duplicate_of"] is None
    assert store.write_articles([story(AE24, "24ae")]) == ["updated"]
    assert by_url(engine)[AE24]["duplicate_of"] == first["id"]

    # The first publication deleted: the others stay, unlinked.
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM articles WHERE id = :id"), {"id": first["id"]})
    assert {row["url"]: row["duplicate_of"] for row in table(engine, "articles")} == {
        AE24: None, "https://khabaren.net/news/talks": None}


def test_two_publications_in_one_batch_are_linked_to_the_first(engine):
    statuses = ArticleStore(engine).write_articles([
        story(AAWSAT, "aawsat"), story(AE24, "24ae"), story("https://arabkhabar.com/news/77", "24ae",
                                                             via="arabkhabar.com"),
        story("https://elyomnew.com/482231", None),  # a site without an outlet: its own publisher
    ])
    assert statuses == ["new", "new", "unchanged", "new"]
    rows = by_url(engine)
    assert rows[AE24]["duplicate_of"] == rows["https://elyomnew.com/482231"]["duplicate_of"] == rows[AAWSAT]["id"]


def test_each_outlets_counts_include_its_publication(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "aawsat.html").write_text(saved_page(AAWSAT, "محادثات روسية صينية"), encoding="utf-8")
    (folder / "24ae.html").write_text(saved_page(AE24, "لافروف يلتقي وانغ يي"), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    result = replay(db_url, folder)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    counts = {line[0]: line[1:4] for line in lines if line and line[0] in ("aawsat", "24ae")}
    assert counts == {"aawsat": ["1", "0", "0"], "24ae": ["1", "0", "0"]}
    assert "2 files read, 2 stored" in result.stdout


def test_a_row_is_found_by_any_url_it_is_known_under(engine):
    store = ArticleStore(engine)
    fetched = "https://24.ae/article/900001/x"
    assert store.write_articles([story(fetched, "24ae", fetched_url=fetched, http_status=200)]) == ["new"]
    # The same text at another URL of the site: one row, and the crawl state of that URL names it.
    short = "https://24.ae/article/900001"
    assert store.write_articles([story(short, "24ae", fetched_url=short, http_status=200)]) == ["unchanged"]

    edits = [
        story(short, "24ae", body=AGENCY_TEXT + " (1)", fetched_url=short, http_status=200),  # by its crawl state
        story(fetched + "/", "24ae", body=AGENCY_TEXT + " (2)"),  # a trailing slash
        story(fetched + "?ref=home&utm_source=x", "24ae", body=AGENCY_TEXT + " (3)"),  # tracking parameters
        story("https://24.ae/article/900001/X", "24ae", body=AGENCY_TEXT + " (4)",  # stored under its canonical URL,
              fetched_url=fetched + "?utm_medium=rss", http_status=200),  # fetched at a tracked one
    ]
    assert [store.write_articles([edit]) for edit in edits] == [["updated"]] * 4
    [row] = table(engine, "articles")
    assert (row["url"], row["version"], row["body"]) == (fetched, 5, AGENCY_TEXT + " (4)")
    assert {state["url"]: state["article_id"] for state in table(engine, "crawl_state")} == {
        fetched: row["id"], short: row["id"], fetched + "?utm_medium=rss": row["id"]}


def test_keys():
    assert url_key("https://24.ae/article/1/x/?utm_source=fb&ref=home#top") == "https://24.ae/article/1/x"
    assert url_key("https://24.ae/article/1/x?page=2") == "https://24.ae/article/1/x?page=2"
    assert url_key("file:///captures/a.txt") == "file:///captures/a.txt"
    assert publisher("24ae", "https://arabkhabar.com/news/77", "arabkhabar.com") == "24ae"
    assert publisher(None, "https://www.elyomnew.com/1", None) == "elyomnew.com"
    assert publisher(None, "https://arabkhabar.com/news/77", "arabkhabar.com") is None
    assert publisher(None, "file:///captures/a.txt", None) is None


# --- concurrent writers ----------------------------------------------------------------


def test_concurrent_writers_never_both_add_one_article(engine):
    """Two writers with the same pages at once: the second waits for the
    first (SQLite's write lock, PostgreSQL's advisory lock) and finds its rows.
    Without the wait, both would look up before either inserted."""
    looked_up = threading.Event()

    def pause_after_lookup(connection, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "FROM articles" in statement:
            if threading.current_thread().name == "first":
                looked_up.set()
                time.sleep(1.0)  # time for the second to look up too, if it may
    event.listen(engine, "after_cursor_execute", pause_after_lookup)
    # Same URL, and the same text at another URL of the outlet.
    batches = {"first": [story(AAWSAT, "aawsat")],
               "second": [story(AAWSAT + "-copy", "aawsat"), story(AAWSAT, "aawsat")]}
    statuses: dict[str, list[str]] = {}

    def write(name: str) -> None:
        if name == "second":
            looked_up.wait(10)
        statuses[name] = ArticleStore(engine).write_articles(batches[name])

    threads = [threading.Thread(target=write, args=(name,), name=name) for name in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == {"first": ["new"], "second": ["unchanged", "unchanged"]}
    assert [row["url"] for row in table(engine, "articles")] == [AAWSAT]


def test_two_replays_into_one_database_at_once_store_each_publication_once(db_url, tmp_path):
    """Two `scrapy replay` processes with overlapping inputs (the same pages,
    and one outlet's text at another of its URLs) at the same time."""
    texts = [AGENCY_TEXT.replace("اليوم", f"اليوم {n}") for n in range(30)]
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
    for n, body in enumerate(texts):
        for outlet_url in (f"{AAWSAT}-{n}", f"{AE24}-{n}"):
            page = saved_page(outlet_url, f"خبر {n}", body)
            (folders[0] / f"{n}-{urlsafe(outlet_url)}.html").write_text(page, encoding="utf-8")
            (folders[1] / f"{n}-{urlsafe(outlet_url)}.html").write_text(page, encoding="utf-8")
        # The same 24.ae text at another 24.ae URL, in the second folder only.
        (folders[1] / f"{n}-copy.html").write_text(saved_page(f"{AE24}-{n}-copy", f"خبر {n}", body), encoding="utf-8")
    prepare_database(db_url).dispose()
    processes = [replay_process(db_url, folder, "-s", "STORAGE_BATCH_SIZE=4") for folder in folders]
    results = [process.communicate(timeout=300) for process in processes]
    for process, (out, err) in zip(processes, results):
        assert process.returncode == 0, out + err[-3000:]
        assert "storage_error" not in out + err

    engine = make_engine(db_url)
    try:
        rows = table(engine, "articles")
    finally:
        engine.dispose()
    assert len(rows) == 2 * len(texts)
    by_text = {}
    for row in rows:
        by_text.setdefault(row["content_hash"], {})[row["outlet"]] = row
    assert len(by_text) == len(texts)
    for outlets in by_text.values():
        # One row per outlet (the 24.ae one under whichever of its URLs came first), the later one linked.
        first, second = outlets["aawsat"], outlets["24ae"]
        assert {first["duplicate_of"], second["duplicate_of"]} in ({None, first["id"]}, {None, second["id"]})


# --- the migration ------------------------------------------------------------------------


def test_migration_splits_the_publications_merged_before(db_url):
    """A database written by the previous code: 24.ae's publication of an
    aawsat.com text was merged into aawsat's row, its URL left in crawl_state."""
    engine = make_engine(db_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002")
        connection.execute(text("INSERT INTO outlets (slug, registered) VALUES ('aawsat', true), ('24ae', true)"))
        connection.execute(text(
            "INSERT INTO articles (url, parser, outlet, title, body, word_count, content_hash, search_text, "
            "language, first_seen_at, last_seen_at, fetched_at, version) VALUES "
            "(:aawsat, 'html', 'aawsat', 'عنوان الشرق الأوسط', :body, 40, :hash, 'x', 'ar', :t1, :t3, :t3, 2), "
            "('https://24.ae/article/2/y/', 'html', '24ae', 'خبر آخر', 'نص آخر', 2, 'other', 'y', 'ar', "
            ":t1, :t1, :t1, 1)"
        ), {"aawsat": AAWSAT, "body": AGENCY_TEXT, "hash": content_hash(AGENCY_TEXT), **TIMES})
        merged = connection.execute(text("SELECT id FROM articles WHERE url = :url"), {"url": AAWSAT}).scalar_one()
        connection.execute(text(
            "INSERT INTO article_versions (article_id, version, title, body, stored_at) "
            "VALUES (:id, 1, 'قديم', 'نص قديم', :t2)"
        ), {"id": merged, **TIMES})
        for url, outlet, seen in ((AAWSAT, "aawsat", "t1"), (AAWSAT.replace("//", "//m."), "aawsat", "t2"),
                                  (AE24, "24ae", "t2"), (AE24 + "?ref=home", "24ae", "t3")):
            connection.execute(text(
                "INSERT INTO crawl_state (url, host, outlet, etag, last_modified, content_hash, last_status, "
                "first_seen_at, last_seen_at, last_fetched_at, article_id) "
                "VALUES (:url, 'h', :outlet, '\"e\"', 'Tue, 19 Nov 2024 10:00:00 GMT', :hash, 200, "
                ":seen, :seen, :seen, :id)"
            ), {"url": url, "outlet": outlet, "seen": TIMES[seen], "hash": content_hash(AGENCY_TEXT), "id": merged})

    prepare_database(engine)
    rows = by_url(engine)
    assert set(rows) == {AAWSAT, AE24, "https://24.ae/article/2/y/"}
    first, split = rows[AAWSAT], rows[AE24]
    assert (first["id"], first["title"], first["version"], first["duplicate_of"]) == (
        merged, "عنوان الشرق الأوسط", 2, None)
    assert (split["outlet"], split["body"], split["content_hash"], split["duplicate_of"]) == (
        "24ae", AGENCY_TEXT, first["content_hash"], merged)
    # What the database does not know stays empty until the next crawl fetches the page in full.
    assert (split["title"], split["published_at"], split["warnings"], split["search_text"] is not None) == (
        None, None, "split_from_merged_row", True)
    assert split["first_seen_at"] == TIMES["t2"] and split["last_seen_at"] == TIMES["t3"]
    assert rows["https://24.ae/article/2/y/"]["url_key"] == "https://24.ae/article/2/y"
    states = {state["url"]: state for state in table(engine, "crawl_state")}
    assert {url: s["article_id"] for url, s in states.items()} == {
        AAWSAT: merged, AAWSAT.replace("//", "//m."): merged, AE24: split["id"], AE24 + "?ref=home": split["id"]}
    assert (states[AE24]["etag"], states[AE24]["last_modified"], states[AE24]["last_fetched_at"]) == (None, None, None)
    assert states[AAWSAT]["etag"] == '"e"'
    # The table copy of SQLite's migration kept the rows that reference articles.
    assert [(v["article_id"], v["title"]) for v in table(engine, "article_versions")] == [(merged, "قديم")]

    # The next crawl's page completes the split row.
    page = story(AE24, "24ae", title="لافروف يلتقي وانغ يي", fetched_url=AE24, http_status=200)
    assert ArticleStore(engine).write_articles([page]) == ["updated"]
    completed = by_url(engine)[AE24]
    assert (completed["id"], completed["title"], completed["duplicate_of"]) == (
        split["id"], "لافروف يلتقي وانغ يي", merged)
    engine.dispose()



# --- helpers --------------------------------------------------------------------------------


def saved_page(url: str, title: str, body: str = AGENCY_TEXT) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return (f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="canonical" href="{url}"><meta property="og:type" content="article"></head>'
            f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>")


def urlsafe(url: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in url)[-60:]


def replay_process(db_url: str, folder: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([str(SCRAPY), "replay", str(folder), *extra], cwd=REPO,
                            env={**os.environ, "DATABASE_URL": db_url}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def replay(db_url: str, folder: Path) -> subprocess.CompletedProcess:
    process = replay_process(db_url, folder)
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)
