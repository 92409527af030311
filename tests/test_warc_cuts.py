"""WARC files cut anywhere: a real archive written by the project's crawl,
gzipped and plain, cut at many offsets (inside headers, blocks, separators and
gzip trailers), gives exactly the whole records before the cut and is then
rejected as `corrupt_warc`; and the URLs of archived pages are normalized
before they are stored."""
from __future__ import annotations

import gzip
import io
import re
import sqlite3
import zlib
from pathlib import Path

import pytest
from scrapy.http import Request
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.inputs import RAW_PREFIX_BYTES, UnreadableInput
from crawler.replay import ReplaySpider
from crawler.warc import read_response_record, scan_warc
from tests.replay_runner import run_replay
from tests.sites.server import FixtureServer, Site
from tests.test_warc import SITES, run_fixture_crawl, site_urls


def member_starts(data: bytes) -> list[int]:
    """Where each gzip member (one per record) starts."""
    starts, position = [], 0
    while position < len(data):
        starts.append(position)
        inflater = zlib.decompressobj(wbits=31)
        inflater.decompress(data[position:])
        position = len(data) - len(inflater.unused_data)
    return starts


class Archive:
    """One WARC file, its records' bounds and the response records scan_warc yields."""

    def __init__(self, path: Path, starts: list[int]):
        self.path = path
        self.data = path.read_bytes()
        self.starts = starts
        self.ends = starts[1:] + [len(self.data)]
        self.responses = list(scan_warc(path))
        self.bodies = {r.offset: read_response_record(path, r.offset, Request(r.target_uri)).body
                       for r in self.responses}

    def whole_before(self, cut: int) -> list[int]:
        return [r.offset for r in self.responses if self.ends[self.starts.index(r.offset)] <= cut]

    def cuts(self) -> list[int]:
        """Offsets inside records: a regular sweep, and each side of every
        boundary (the separator, the gzip trailer, the next header)."""
        near = {b + d for b in self.starts[1:] + [len(self.data)] for d in range(-10, 4)}
        offsets = set(range(1, len(self.data), 53)) | near
        return sorted(n for n in offsets if 0 < n < len(self.data) and n not in self.starts)


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, Archive]:
    base = tmp_path_factory.mktemp("warc-cuts")
    with FixtureServer(slow_delay=0.1) as server:
        run_fixture_crawl(server, site_urls("24.ae"), base / "warc", f"sqlite:///{base / 'crawl.db'}")
    (gzipped,) = (base / "warc").iterdir()
    data = gzipped.read_bytes()
    starts = member_starts(data)
    records = [gzip.decompress(data[a:b]) for a, b in zip(starts, starts[1:] + [len(data)])]
    plain = base / "crawl.warc"
    plain.write_bytes(b"".join(records))
    plain_starts = [sum(map(len, records[:i])) for i in range(len(records))]
    return {"warc.gz": Archive(gzipped, starts), "warc": Archive(plain, plain_starts)}


@pytest.mark.parametrize("kind", ["warc.gz", "warc"])
def test_a_cut_archive_gives_exactly_its_whole_records_then_is_corrupt(archives, tmp_path, kind):
    archive = archives[kind]
    assert len(archive.starts) > 20 and len(archive.responses) >= 10
    cut = tmp_path / f"cut.{kind}"
    for offset in archive.cuts():
        cut.write_bytes(archive.data[:offset])
        read = []
        with pytest.raises(UnreadableInput) as exc:
            for record in scan_warc(cut):
                read.append(record.offset)
        assert exc.value.reason == "corrupt_warc", offset
        assert read == archive.whole_before(offset), offset
        if read:  # the last whole record before the cut reads back as it was archived
            assert read_response_record(cut, read[-1], Request("file:///x")).body == archive.bodies[read[-1]]


def test_replay_of_cut_archives_stores_the_whole_pages_and_rejects_each_file(archives, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    pages = {}  # file name -> the article records whole before its cut
    for kind, archive in archives.items():
        articles = [r for r in archive.responses if ReplaySpider._skip_reason(r) is None]
        last = articles[-1]
        end = archive.ends[archive.starts.index(last.offset)]
        # In the last article's header, in its block, and in its last bytes
        # (the separator; in a .warc.gz the gzip trailer).
        for name, offset in (("header", last.offset + 30), ("block", (last.offset + end) // 2), ("end", end - 3)):
            (folder / f"{name}.{kind}").write_bytes(archive.data[:offset])
            pages[f"{name}.{kind}"] = articles[:-1]
    db = tmp_path / "replay.db"
    result = run_replay(f"sqlite:///{db}", folder)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    con = sqlite3.connect(db)
    rejected = dict(con.execute("SELECT url, reason FROM rejected_pages").fetchall())
    stored = {url for (url,) in con.execute("SELECT url FROM articles")}
    con.close()
    assert rejected == {(folder / name).as_uri(): "corrupt_warc" for name in pages}
    assert stored == {r.target_uri for records in pages.values() for r in records}
    read = sum(map(len, pages.values()))
    assert f"{read + len(pages)} files read, {read} stored, {len(pages)} rejected" in result.stdout


def test_archived_urls_are_normalized_before_they_are_stored(tmp_path):
    site = Site(SITES / "24.ae")
    path = next(p for p, spec in site.routes.items() if spec.get("file") == "articles/845201.html")
    page = site.page(site.routes[path])
    # No canonical link: the page is stored under the URL it was archived under.
    body = re.sub(rb'<link rel="canonical"[^>]*>', b"", page.body)
    clean = site.url(path)
    parts = clean.split("/")
    archived = f"https://editor:secret@24.ae/./article/{parts[4]}/x/../{parts[5]}"
    archive = tmp_path / "other-tool.warc.gz"
    with open(archive, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", page.content_type)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            archived, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
            warc_headers_dict={"WARC-Date": "2024-11-20T10:00:00Z"},
        ))
    db = tmp_path / "replay.db"
    result = run_replay(f"sqlite:///{db}", archive)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    con = sqlite3.connect(db)
    (url,) = con.execute("SELECT url FROM articles").fetchone()
    con.close()
    assert url == clean


def test_a_record_over_the_size_limit_keeps_the_start_of_its_page(archives, tmp_path):
    archive = archives["warc.gz"]
    articles = [r for r in archive.responses if ReplaySpider._skip_reason(r) is None]
    limit = min(r.payload_length for r in articles) - 1
    db = tmp_path / "replay.db"
    result = run_replay(f"sqlite:///{db}", archive.path, extra=("-s", f"DOWNLOAD_MAXSIZE={limit}"))
    assert result.returncode == 1
    con = sqlite3.connect(db)
    rows = con.execute("SELECT url, reason, raw_gzip FROM rejected_pages").fetchall()
    con.close()
    assert len(rows) == len(articles)
    bodies = {r.target_uri: archive.bodies[r.offset] for r in articles}
    for url, reason, raw in rows:
        assert reason == "too_large"
        assert gzip.decompress(raw) == bodies[url][:RAW_PREFIX_BYTES]
