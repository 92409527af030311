"""Hostile input in bounded memory: gzip bombs, pages over DOWNLOAD_MAXSIZE,
pages just under it that parse into too much. Each is rejected as `too_large`
with the first 64 KB of the page kept, and `scrapy replay` of a folder holding
them stays small (its peak resident memory is measured)."""
from __future__ import annotations

import gzip
import shutil
import sqlite3
import time

import pytest

from bench.memory import measured_replay, write_big_pages, write_gzip_bomb
from crawler.inputs import RAW_PREFIX_BYTES, UnreadableInput, maybe_gunzip
from crawler.pages import HTML, read_saved_page
from tests.sites.server import SITES_DIR

ARTICLE = SITES_DIR / "24.ae" / "articles" / "845201.html"
MAX = 10 * 1024 * 1024  # the project's DOWNLOAD_MAXSIZE


def rejected(db) -> dict[str, tuple[str, str, bytes | None]]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT url, reason, detail, raw_gzip FROM rejected_pages").fetchall()
    finally:
        con.close()
    return {url.rsplit("/", 1)[-1]: (reason, detail, raw and gzip.decompress(raw)) for url, reason, detail, raw in rows}


def test_gzip_stops_inflating_at_the_limit_and_keeps_a_prefix():
    page = ARTICLE.read_bytes()
    # Several members (a file appended to, or a bomb made of many small ones) read as one stream.
    assert maybe_gunzip(gzip.compress(page[:100]) + gzip.compress(page[100:]), MAX) == page
    bomb = gzip.compress(b" " * (1 << 20)) * 2048  # 2 MB that inflate to 2 GB
    started = time.perf_counter()
    with pytest.raises(UnreadableInput) as exc:
        read_saved_page(bomb, "file:///bomb.html.gz", HTML, max_bytes=MAX)
    assert time.perf_counter() - started < 5
    assert exc.value.reason == "too_large" and "DOWNLOAD_MAXSIZE" in exc.value.detail
    assert exc.value.raw == b" " * RAW_PREFIX_BYTES


@pytest.mark.parametrize("make, limit", [
    (lambda: ARTICLE.read_text(encoding="utf-8").replace("<p>", "<div><span>x</span></div>" * 60_000, 1), "elements"),
    (lambda: ARTICLE.read_text(encoding="utf-8").replace("<p>", "<p>" + "كلمة " * 500_000, 1), "characters"),
])
def test_a_page_that_parses_into_too_much_is_too_large(make, limit):
    page = make().encode("utf-8")
    with pytest.raises(UnreadableInput) as exc:
        read_saved_page(page, "file:///page.html", HTML, max_bytes=MAX)
    assert exc.value.reason == "too_large" and limit in exc.value.detail
    assert exc.value.raw == page[:RAW_PREFIX_BYTES]


def test_replay_of_a_folder_with_a_gzip_bomb_and_huge_pages_stays_small(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / "good.html")
    write_gzip_bomb(folder / "bomb.html.gz", 2 << 30)
    (folder / "many-members.html.gz").write_bytes(gzip.compress(b"<p>" + b" " * (1 << 20)) * 2048)
    with open(folder / "oversized.html.gz", "wb") as out:  # over the limit as it lies on disk
        out.write(gzip.compress(ARTICLE.read_bytes()))
        out.write(b"\0" * (MAX + 1))
    write_big_pages(folder)  # 9.9 MB each, under the limit
    assert (folder / "bomb.html.gz").stat().st_size < 3 * 1024 * 1024

    started = time.perf_counter()
    result, peak_mb = measured_replay(folder, tmp_path / "news.db")
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert peak_mb < 600, f"peak RSS {peak_mb:.0f} MB"
    assert time.perf_counter() - started < 120
    assert "6 files read, 1 stored, 5 rejected" in result.stdout
    assert "too_large 5" in result.stdout

    rows = rejected(tmp_path / "news.db")
    assert {name: reason for name, (reason, _, _) in rows.items()} == {
        name: "too_large" for name in ("bomb.html.gz", "many-members.html.gz", "oversized.html.gz",
                                       "elements.html", "text.html")
    }
    assert rows["bomb.html.gz"][2] == b"<html><body><p>" + b" " * (RAW_PREFIX_BYTES - 15)
    # A file over the limit on disk keeps the start of its page, inflated.
    assert rows["oversized.html.gz"][2] == ARTICLE.read_bytes()[:RAW_PREFIX_BYTES]
    assert all(0 < len(raw) <= RAW_PREFIX_BYTES for _, _, raw in rows.values())
    assert "elements" in rows["elements.html"][1] and "characters" in rows["text.html"][1]
