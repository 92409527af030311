"""The Python entry point (crawler.api): one page extracted as a replay stores
it, and the stored articles read back, from a real SQLite database."""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from sqlalchemy import select

from crawler.api import NotExtracted, extract, read_articles
from crawler.export.columns import article_columns
from crawler.search import search
from db.models import Article
from db.session import prepare_database
from tests.replay_runner import REPO

SEEDS = sorted((REPO / "seeds").glob("*.txt"))
SITE = REPO / "tests" / "sites" / "aawsat.com"


@pytest.fixture(scope="module")
def replayed(replayed_seeds) -> tuple[str, dict[str, dict]]:
    """The seeds stored by `scrapy replay`, and their rows by URL."""
    url = f"sqlite:///{replayed_seeds}"
    engine = prepare_database(url)
    with engine.connect() as connection:
        rows = {row.url: dict(row._mapping) for row in connection.execute(select(Article.__table__))}
    engine.dispose()
    return url, rows


def test_extract_gives_the_row_a_replay_stores(replayed):
    _, rows = replayed
    names = [c.name for c in article_columns()]
    columns = {c.name: c for c in article_columns()}
    for path in SEEDS:
        article = extract(path.read_bytes(), url=path.as_uri())
        assert list(article) == [n for n in names if n in article]  # the table's order
        row = rows[article["url"]]
        assert article["url"] == path.as_uri() and article["fetched_at"] is None
        for name, value in article.items():
            if name != "fetched_at":  # the replay stamps when it stored the page
                assert value == columns[name].value(row[name]), (path.name, name)
        assert article["body"] and article["search_text"] and article["content_hash"]


def test_extract_reads_an_outlet_page_by_its_url_and_fetch_time():
    expected = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
    routes = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))["routes"]
    fetched = datetime(2024, 11, 20, 12, 0, tzinfo=timezone.utc)
    for page in expected["articles"]:
        html = (SITE / routes[page["path"]]["file"]).read_bytes()
        article = extract(html, url="https://aawsat.com" + quote(page["path"]), fetched_at=fetched)
        assert article == extract(html.decode("utf-8"), url="https://aawsat.com" + quote(page["path"]),
                                  fetched_at=fetched)  # bytes or text alike
        assert extract(gzip.compress(html), url="https://aawsat.com" + quote(page["path"]),
                       fetched_at=fetched) == article
        assert (article["url"], article["outlet"], article["title"], article["section"], article["authors"]) == (
            page["url"], "aawsat", page["title"], page["section"], page["authors"])
        published = page["published_at"] and datetime.fromisoformat(page["published_at"])
        assert article["published_at"] == (published or None) and article["fetched_at"] == fetched
        assert article["parser"] == "html" and article["url_key"]
        for snippet in page["body_snippets"]:
            assert snippet in article["body"]


def test_extract_refuses_what_a_replay_rejects_or_skips():
    with pytest.raises(NotExtracted) as short:
        extract("<html><body><article><h1>عنوان</h1><p>نص قصير.</p></article></body></html>",
                url="https://aawsat.com/x")
    assert short.value.reason == "no_body"
    with pytest.raises(NotExtracted) as skipped:
        extract((SITE / "pages" / "home.html").read_bytes())
    assert skipped.value.reason.startswith("not_article/")
    with pytest.raises(NotExtracted) as binary:
        extract(b"\x00\x01\x02" * 100)
    assert binary.value.reason == "binary"


def test_extract_takes_the_settings_of_the_run():
    page = SEEDS[0].read_bytes()
    plain = extract(page, settings={"NORMALIZERS": {"pipelines.arabic.SearchFormNormalizer": None}})
    assert plain["search_text"] is None and plain["word_count"] is None
    assert extract(page)["search_text"]


def test_read_articles_streams_the_rows_with_filters(replayed):
    url, rows = replayed
    articles = list(read_articles(url, batch_rows=2))
    assert [a["id"] for a in articles] == sorted(r["id"] for r in rows.values())
    columns = {c.name: c for c in article_columns()}
    for article in articles:
        assert list(article) == list(columns)
        assert all(value == columns[name].value(rows[article["url"]][name]) for name, value in article.items())
    chosen = list(read_articles(url, outlet=["aawsat", "24ae"], since=datetime(2024, 1, 1), until="2024-11-19"))
    assert [a["url"] for a in chosen] == [
        a["url"] for a in articles
        if a["outlet"] in ("aawsat", "24ae") and a["published_at"] and "2024-01-01" <= a["published_at"].date().isoformat() <= "2024-11-19"
    ] != []
    found = {hit["id"] for hit in search(url, "لافروف", limit=100)}
    assert {a["id"] for a in read_articles(url, query="لافروف")} == found and found
