"""The raw archive: crawls over the loopback fixture server write WARC files
that warcio and its command-line tools read, and `scrapy replay` turns them
back into the same article rows."""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import signal
import sqlite3
import subprocess
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from scrapy import Spider
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.middlewares.warc import WarcArchiveMiddleware
from crawler.pages import stored_url
from tests.crawl_runner import fixture_settings, run_crawl, run_scrapy, window_start
from tests.replay_runner import REPO, SCRAPY, run_replay
from tests.sites.server import FixtureServer, Site, load_expected, route_key, site_hosts

WARCIO = SCRAPY.with_name("warcio")
SITES = REPO / "tests" / "sites"
# Sites whose outlets tell article URLs from listings (the replay keeps only those).
CRAWLED_HOSTS = ("aawsat.com", "24.ae", "khabaren.net")
# Every column of an article row that comes from the page, not from when or how it was read.
ROW_IGNORED = {"id", "input_ref", "first_seen_at", "last_seen_at", "fetched_at"}


def site_urls(host: str) -> list[str]:
    site = Site(SITES / host)
    return [site.url(path) for path in site.routes]


def speed_settings(server: FixtureServer, warc_dir: Path) -> list[str]:
    """Route to the fixture server; no waiting that only a real site deserves."""
    return [
        "-s", f"FIXTURE_SERVER={server.base_url}", "-s", f"WARC_DIR={warc_dir}",
        "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_BACKOFF_BASE=0.05",
    ]


def run_fixture_crawl(server: FixtureServer, urls: list[str], warc_dir: Path, db_url: str,
                      *settings: str, wait: bool = True):
    """Fetch exactly `urls` (tests/warc_fixture_spider.py) with the project's settings."""
    command = [
        str(SCRAPY), "runspider", "tests/warc_fixture_spider.py", "-a", "urls=" + " ".join(urls),
        *speed_settings(server, warc_dir), *settings,
    ]
    env = {**os.environ, "DATABASE_URL": db_url}
    if not wait:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-5000:]
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    return result


def read_records(path: Path) -> list[dict]:
    """Every record of a WARC file with what the tests look at."""
    records = []
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            http = record.http_headers
            records.append({
                "type": record.rec_type,
                "id": record.rec_headers.get_header("WARC-Record-ID"),
                "uri": record.rec_headers.get_header("WARC-Target-URI"),
                "date": record.rec_headers.get_header("WARC-Date"),
                "concurrent_to": record.rec_headers.get_header("WARC-Concurrent-To"),
                "filename": record.rec_headers.get_header("WARC-Filename"),
                "status_line": f"{http.protocol} {http.statusline}" if http else None,
                "headers": http,
                "payload": record.raw_stream.read(),
                "offset": iterator.get_record_offset(),
            })
    return records


def route_of(uri: str) -> tuple[str, str]:
    """(host, route key) of a real URL, as the fixture server logs requests."""
    parts = urlsplit(uri)
    return parts.hostname, route_key(parts.path + (f"?{parts.query}" if parts.query else ""))


def status_of(record: dict) -> int:
    return int(record["status_line"].split()[1])


def article_rows(db: Path) -> dict[str, dict]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return {r["url"]: dict(r) for r in con.execute("SELECT * FROM articles")}
    finally:
        con.close()


def without(row: dict, ignored: set[str]) -> dict:
    return {k: v for k, v in row.items() if k not in ignored}


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    """Two crawls of three fixture sites into one database and one WARC folder:
    the first with the default file size, the second with a tiny WARC_MAX_SIZE."""
    base = tmp_path_factory.mktemp("warc-crawl")
    warc_dir = base / "warc"
    urls = [url for host in CRAWLED_HOSTS for url in site_urls(host)]
    db = base / "crawl.db"
    with FixtureServer(slow_delay=0.1) as server:
        started = datetime.now(timezone.utc)
        run_fixture_crawl(server, urls, warc_dir, f"sqlite:///{db}")
        first_served = list(server.requests)
        first_files = sorted(warc_dir.iterdir())
        first_digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in first_files}
        server.reset()
        run_fixture_crawl(server, urls, warc_dir, f"sqlite:///{db}", "-s", "WARC_MAX_SIZE=20000")
        finished = datetime.now(timezone.utc)
        second_served = list(server.requests)
    second_files = sorted(set(warc_dir.iterdir()) - set(first_files))
    return {
        "base": base, "warc_dir": warc_dir, "db": db, "urls": urls,
        "started": started, "finished": finished,
        "first": {"files": first_files, "served": first_served, "digests": first_digests},
        "second": {"files": second_files, "served": second_served},
    }


def test_every_response_is_archived_with_its_request(crawls):
    run = crawls["first"]
    assert len(run["files"]) == 1, run["files"]
    records = read_records(run["files"][0])
    assert records[0]["type"] == "warcinfo"
    assert records[0]["filename"] == run["files"][0].name
    responses = [r for r in records if r["type"] == "response"]
    requests = {r["concurrent_to"]: r for r in records if r["type"] == "request"}
    assert len(requests) == len(responses) and 2 * len(responses) == len(records) - 1

    # One response record per answer the server gave (robots.txt, feeds, the
    # 301, the 404s, the 500 before its retry), under the real URL.
    archived = sorted((*route_of(r["uri"]), status_of(r)) for r in responses)
    served = sorted((s.host, s.path, s.status) for s in run["served"])
    assert archived == served
    statuses = {status_of(r) for r in responses}
    assert {200, 301, 404, 500} <= statuses

    for response in responses:
        request = requests[response["id"]]
        assert response["uri"].startswith("https://") and "127.0.0.1" not in response["uri"]
        assert request["uri"] == response["uri"] and request["date"] == response["date"]
        fetched = datetime.fromisoformat(response["date"])
        assert crawls["started"] <= fetched <= crawls["finished"]
        parts = urlsplit(response["uri"])
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        assert request["status_line"] == f"GET {target} HTTP/1.1"
        assert request["headers"].get_header("Host") == parts.hostname
        assert request["headers"].get_header("User-Agent").startswith("ArabicNewsCrawler/")


def test_response_records_hold_the_wire_status_headers_and_body(crawls):
    records = read_records(crawls["first"]["files"][0])
    responses = {(r["uri"], r["status_line"]): r for r in records if r["type"] == "response"}
    ae = Site(SITES / "24.ae")
    aawsat = Site(SITES / "aawsat.com")

    cp1256_path = next(p for p, spec in ae.routes.items() if spec.get("encoding") == "windows-1256")
    page = responses[(ae.url(cp1256_path), "HTTP/1.1 200 OK")]
    assert page["payload"] == ae.page(ae.routes[cp1256_path]).body  # re-encoded bytes, as sent
    assert page["headers"].get_header("Content-Type") == "text/html; charset=windows-1256"
    assert page["headers"].get_header("ETag") and page["headers"].get_header("Last-Modified")
    assert page["headers"].get_header("Content-Length") == str(len(page["payload"]))

    failing = next(p for p, spec in aawsat.routes.items() if spec.get("fail_first"))
    assert (aawsat.url(failing), "HTTP/1.1 500 Internal Server Error") in responses
    assert (aawsat.url(failing), "HTTP/1.1 200 OK") in responses
    deleted = next(p for p, spec in aawsat.routes.items() if spec.get("status") == 404)
    assert responses[(aawsat.url(deleted), "HTTP/1.1 404 Not Found")]["payload"] == aawsat.not_found_page()
    moved = next(p for p, spec in aawsat.routes.items() if "redirect" in spec)
    redirect = responses[(aawsat.url(moved), "HTTP/1.1 301 Moved Permanently")]
    assert redirect["headers"].get_header("Location") == aawsat.url(aawsat.routes[moved]["redirect"])


def test_warcio_command_line_tools_read_the_files(crawls):
    for path in crawls["first"]["files"] + crawls["second"]["files"]:
        check = subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.count("digest pass") == len(read_records(path))
        assert "fail" not in check.stdout

    path = crawls["first"]["files"][0]
    index = subprocess.run(
        [str(WARCIO), "index", "-f", "warc-type,warc-target-uri,http:status,offset", str(path)],
        capture_output=True, text=True, check=True,
    )
    lines = index.stdout.splitlines()
    assert len(lines) == len(read_records(path))
    aawsat = Site(SITES / "aawsat.com")
    article = next(p for p, spec in aawsat.routes.items() if spec.get("file", "").startswith("articles/"))
    entry = next(
        line for line in lines
        if f'"warc-target-uri": "{aawsat.url(article)}"' in line and '"http:status": "200"' in line
    )
    offset = entry.split('"offset": "')[1].split('"')[0]
    # `warcio extract` seeks to the offset: each record is a gzip member of its own.
    extract = subprocess.run([str(WARCIO), "extract", "--payload", str(path), offset],
                             capture_output=True, check=True)
    assert extract.stdout == aawsat.page(aawsat.routes[article]).body


def test_each_record_is_a_gzip_member_of_its_own(crawls):
    path = crawls["first"]["files"][0]
    data = path.read_bytes()
    members = []
    while data:
        inflater = zlib.decompressobj(wbits=31)
        members.append(inflater.decompress(data))
        assert inflater.eof, "truncated gzip member"
        data = inflater.unused_data
    assert len(members) == len(read_records(path))
    assert all(m.startswith(b"WARC/1.1\r\n") and m.endswith(b"\r\n\r\n") for m in members)


def test_files_rotate_by_size_and_per_run(crawls):
    first, second = crawls["first"], crawls["second"]
    # The first run's file is left as it was; the second run has files of its own.
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in first["files"]} == first["digests"]
    assert len(second["files"]) >= 4, second["files"]
    stamps = {p.name.rsplit("-", 1)[0] for p in second["files"]}
    assert len(stamps) == 1 and stamps != {p.name.rsplit("-", 1)[0] for p in first["files"]}
    assert [p.name.rsplit("-", 1)[1] for p in second["files"]] == [
        f"{n:05d}.warc.gz" for n in range(1, len(second["files"]) + 1)
    ]

    responses = 0
    for path in second["files"]:
        records = read_records(path)
        assert records[0]["type"] == "warcinfo" and records[0]["filename"] == path.name
        pairs = records[1:]
        # Pairs are never split across files.
        assert [r["type"] for r in pairs] == ["response", "request"] * (len(pairs) // 2)
        assert all(req["concurrent_to"] == resp["id"] for resp, req in zip(pairs[::2], pairs[1::2]))
        if path != second["files"][-1]:
            size = path.stat().st_size
            last_pair = size - pairs[-2]["offset"]
            assert size >= 20000 and size - last_pair < 20000
        responses += len(pairs) // 2
    assert responses == len(second["served"])


def test_replay_of_the_warc_files_stores_the_same_article_rows(crawls, tmp_path):
    replay_db = tmp_path / "replay.db"
    result = run_replay(f"sqlite:///{replay_db}", crawls["warc_dir"],
                        extra=("-s", f"WARC_DIR={tmp_path / 'replay-warc'}"))
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    assert "Traceback" not in result.stderr

    crawled = article_rows(crawls["db"])
    replayed = article_rows(replay_db)
    assert len(crawled) == 12  # 4 articles on each of the three sites
    assert set(replayed) == set(crawled)
    for url, row in crawled.items():
        assert without(replayed[url], ROW_IGNORED) == without(row, ROW_IGNORED), url
    # Both runs' copies of each article were read: 12 new, then 12 unchanged.
    assert "24 files read, 24 stored, 0 rejected" in result.stdout
    total = next(line for line in result.stdout.splitlines() if line.startswith("total"))
    assert total.split()[1:5] == ["12", "0", "12", "0"]
    for reason in ("not_html", "not_article", "status_404", "status_301", "status_500"):
        assert reason in result.stdout, result.stdout

    # The fetch time is the archived response's date; the row says which record it came from.
    dates = {}
    for path in sorted(crawls["warc_dir"].iterdir()):
        for record in read_records(path):
            if record["type"] == "response":
                dates.setdefault(record["uri"], set()).add(datetime.fromisoformat(record["date"]))
    for url, row in replayed.items():
        assert datetime.fromisoformat(row["fetched_at"]) in dates[url]
        ref_file, offset = row["input_ref"].split("#offset=")
        record = next(r for r in read_records(Path(unquote(urlsplit(ref_file).path)))
                      if r["offset"] == int(offset))
        assert record["type"] == "response" and record["uri"] == url
    # A replay reads files and archives nothing.
    assert not (tmp_path / "replay-warc").exists()


def test_plain_warc_file_given_by_name_is_replayed(crawls, tmp_path):
    # A .warc.gz of gzip members decompresses to the plain .warc of the same records.
    plain = tmp_path / "crawl.warc"
    plain.write_bytes(gzip.decompress(crawls["first"]["files"][0].read_bytes()))
    db = tmp_path / "replay.db"
    result = run_replay(f"sqlite:///{db}", plain)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "12 files read, 12 stored, 0 rejected" in result.stdout
    assert set(article_rows(db)) == set(article_rows(crawls["db"]))


def test_size_limit_applies_to_each_record_not_to_the_warc_file(crawls, tmp_path):
    source = crawls["first"]["files"][0]
    pages = [r for r in read_records(source) if r["type"] == "response" and r["status_line"].endswith("200 OK")
             and r["uri"] in article_rows(crawls["db"])]
    sizes = sorted(len(r["payload"]) for r in pages)
    limit = sizes[len(sizes) // 2]
    assert source.stat().st_size > limit
    too_large = sum(size > limit for size in sizes)
    assert 0 < too_large < len(sizes)

    db = tmp_path / "replay.db"
    result = run_replay(f"sqlite:///{db}", source, extra=("-s", f"DOWNLOAD_MAXSIZE={limit}"))
    assert result.returncode == 1
    assert f"12 files read, {12 - too_large} stored, {too_large} rejected" in result.stdout
    assert "too_large" in result.stdout and "too_large" in result.stderr
    assert len(article_rows(db)) == 12 - too_large


def test_corrupt_truncated_and_empty_warc_files_are_rejected_with_a_reason(crawls, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    source = crawls["first"]["files"][0]
    records = read_records(source)
    # Cut inside the last article response, in its headers and in its body:
    # the records before it are still read.
    pages = [r for r in records if r["type"] == "response" and status_of(r) == 200
             and r["uri"] in article_rows(crawls["db"])]
    last_page = pages[-1]
    next_offset = next(r["offset"] for r in records if r["offset"] > last_page["offset"])
    data = source.read_bytes()
    (folder / "cut-in-header.warc.gz").write_bytes(data[: last_page["offset"] + 200])
    (folder / "cut-in-body.warc.gz").write_bytes(data[: last_page["offset"] + (next_offset - last_page["offset"]) * 2 // 3])
    (folder / "garbage.warc.gz").write_bytes(gzip.compress(b"<html>not an archive</html>" * 50))
    (folder / "empty.warc").write_bytes(b"")
    db = tmp_path / "replay.db"
    result = run_replay(f"sqlite:///{db}", folder)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    assert "corrupt_warc" in result.stdout and "corrupt_warc" in result.stderr
    assert "empty" in result.stdout

    con = sqlite3.connect(db)
    rejected = dict(con.execute("SELECT url, reason FROM rejected_pages").fetchall())
    con.close()
    assert rejected == {
        (folder / "cut-in-header.warc.gz").as_uri(): "corrupt_warc",
        (folder / "cut-in-body.warc.gz").as_uri(): "corrupt_warc",
        (folder / "garbage.warc.gz").as_uri(): "corrupt_warc",
        (folder / "empty.warc").as_uri(): "empty",
    }
    stored = article_rows(db)
    assert set(stored) == {page["uri"] for page in pages[:-1]}
    # Each cut file gave the 11 whole pages before the cut (stored twice: new, then unchanged).
    assert "26 files read, 22 stored, 4 rejected" in result.stdout


def test_a_killed_crawl_leaves_a_readable_warc(tmp_path):
    ae = Site(SITES / "24.ae")
    urls = site_urls("24.ae")
    slow = [ae.url(p) for p, spec in ae.routes.items() if spec.get("delay")]
    warc_dir = tmp_path / "warc"
    with FixtureServer(slow_delay=60) as server:
        crawl = run_fixture_crawl(server, urls, warc_dir, f"sqlite:///{tmp_path / 'crawl.db'}", wait=False)
        try:
            deadline = time.monotonic() + 60
            # Everything but the slow page answered, and archived a moment later.
            while len(server.requests) < len(urls) - len(slow) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)
            assert crawl.poll() is None, crawl.stderr.read().decode()[-3000:]
        finally:
            crawl.send_signal(signal.SIGKILL)
            crawl.wait()
            crawl.stderr.close()
        answered = [s for s in server.requests if s.path != route_key(urlsplit(slow[0]).path)]
    (path,) = warc_dir.iterdir()
    records = read_records(path)
    responses = [r for r in records if r["type"] == "response"]
    assert len(responses) == len(answered) >= 5
    assert [r["type"] for r in records[1:]] == ["response", "request"] * len(responses)
    assert slow[0] not in {r["uri"] for r in responses}

    result = run_replay(f"sqlite:///{tmp_path / 'replay.db'}", warc_dir)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "0 rejected" in result.stdout


def test_records_from_other_tools_chunked_and_gzip_encoded_are_read(tmp_path):
    """WARC writers that keep the wire framing (wget, warcprox) store chunked
    bodies with their Transfer-Encoding header; the body may be compressed."""
    ae = Site(SITES / "24.ae")
    path = next(p for p, spec in ae.routes.items() if spec.get("file", "").startswith("articles/")
                and not spec.get("encoding"))
    page = ae.page(ae.routes[path])
    compressed = gzip.compress(page.body)
    chunked = b"".join(
        b"%x\r\n%s\r\n" % (len(compressed[i:i + 1000]), compressed[i:i + 1000])
        for i in range(0, len(compressed), 1000)
    ) + b"0\r\n\r\n"
    archive = tmp_path / "other-tool.warc.gz"
    with open(archive, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        headers = StatusAndHeaders("200 OK", [
            ("Content-Type", page.content_type), ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked"),
        ], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            ae.url(path), "response", payload=io.BytesIO(chunked), length=len(chunked), http_headers=headers,
            warc_headers_dict={"WARC-Date": "2024-11-20T10:00:00Z"},
        ))
    db = tmp_path / "replay.db"
    result = run_replay(f"sqlite:///{db}", archive)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    (row,) = article_rows(db).values()
    assert row["url"] == ae.url(path)
    wanted = next(a for a in load_expected("24.ae")["articles"] if a["url"] == row["url"])
    assert row["title"] == wanted["title"]
    assert row["fetched_at"].startswith("2024-11-20T10:00:00")


# --- the project's own spiders ------------------------------------------------

OUTLET_HOSTS = [h for h in site_hosts() if load_expected(h)["outlet"]]
GENERIC_HOSTS = [h for h in site_hosts() if not load_expected(h)["outlet"]]


@pytest.mark.parametrize("crawl", ["crawlall", "generic"])
def test_spider_crawls_replay_from_their_warc_files_to_identical_rows(tmp_path, crawl):
    """The outlet spiders (all in one `scrapy crawlall` process) and the generic
    spider, over the fixture sites: every answer archived, and the replay of
    the archive stores the very rows the crawl stored."""
    crawl_db = tmp_path / "crawl.db"
    hosts = OUTLET_HOSTS if crawl == "crawlall" else GENERIC_HOSTS[:1]
    with FixtureServer(slow_delay=0.2) as server:
        if crawl == "crawlall":
            result = run_scrapy(f"sqlite:///{crawl_db}", "crawlall", "-a", f"since={window_start(hosts[0])}",
                                *fixture_settings(server, tmp_path))
        else:
            result = run_crawl(server, f"sqlite:///{crawl_db}", hosts[0], workdir=tmp_path)
        served = sorted((s.host, s.path, s.status) for s in server.requests)
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]

    files = sorted((tmp_path / "warc").iterdir())
    spiders = {load_expected(h)["outlet"] or "generic" for h in hosts}
    assert {p.name.split("-", 1)[0] for p in files} == spiders  # each spider its own files
    responses = [r for path in files for r in read_records(path) if r["type"] == "response"]
    assert sorted((*route_of(r["uri"]), status_of(r)) for r in responses) == served

    replay_db = tmp_path / "replay.db"
    replay = run_replay(f"sqlite:///{replay_db}", tmp_path / "warc")
    assert replay.returncode == 0, replay.stdout + replay.stderr[-5000:]
    crawled, replayed = article_rows(crawl_db), article_rows(replay_db)
    assert set(crawled) == {a["url"] for h in hosts for a in load_expected(h)["articles"]}
    assert set(replayed) == set(crawled)
    # Story ids are numbered in the order articles were stored (the crawl's spiders
    # interleave, the replay reads file by file): the stories must group alike.
    for url, row in crawled.items():
        assert without(replayed[url], ROW_IGNORED | {"story_id"}) == without(row, ROW_IGNORED | {"story_id"}), url
    assert story_groups(replayed) == story_groups(crawled)
    assert f"{len(crawled)} files read, {len(crawled)} stored, 0 rejected" in replay.stdout


def story_groups(rows: dict[str, dict]) -> set[frozenset[str]]:
    groups: dict[int | None, set[str]] = {}
    for url, row in rows.items():
        groups.setdefault(row["story_id"], set()).add(url)
    return {frozenset(urls) for urls in groups.values()}


@pytest.mark.parametrize("canonical, fetched, stored", [
    # An archived page of an outlet: its canonical URL if that is one of its article URLs.
    ("https://24.ae/article/845201/مباحثات", "https://24.ae/article/845201/1/x",
     "https://24.ae/article/845201/%D9%85%D8%A8%D8%A7%D8%AD%D8%AB%D8%A7%D8%AA"),
    ("https://24.ae/", "https://24.ae/article/845201/x", "https://24.ae/article/845201/x"),
    ("https://other.example/article/845201/x", "https://24.ae/article/845201/x", "https://24.ae/article/845201/x"),
    # Another site: a canonical URL of the same site that is not its home.
    ("https://www.elyomnew.com/482113", "https://elyomnew.com/482113?amp=1", "https://www.elyomnew.com/482113"),
    ("https://elyomnew.com/", "https://elyomnew.com/482113", "https://elyomnew.com/482113"),
    # A saved file is stored under the web address it names.
    ("https://aawsat.com/home/article/1/x", "file:///tmp/page.html", "https://aawsat.com/home/article/1/x"),
    (None, "https://24.ae/article/845201/x", "https://24.ae/article/845201/x"),
])
def test_archived_pages_are_stored_under_the_url_their_crawl_uses(canonical, fetched, stored):
    assert stored_url(canonical, fetched) == stored


# --- the middleware alone ----------------------------------------------------


def make_middleware(tmp_path: Path, **settings) -> WarcArchiveMiddleware:
    class Crawl(Spider):
        name = "unit"

    crawler = get_crawler(Crawl, {"WARC_ENABLED": True, "WARC_DIR": str(tmp_path), "WARC_MAX_SIZE": 0, **settings})
    return WarcArchiveMiddleware.from_crawler(crawler)


def test_middleware_skips_non_http_and_cached_responses_and_keeps_a_304(tmp_path):
    middleware = make_middleware(tmp_path / "warc")
    page = "https://24.ae/article/1/x"
    cached = HtmlResponse(page, body=b"<html></html>", flags=["cached"], request=Request(page))
    local = Response("file:///tmp/page.html", body=b"x")
    for response in (cached, local):
        assert middleware.process_response(Request(response.url), response) is response
    assert not (tmp_path / "warc").exists()

    not_modified = Response(page, status=304, headers={"ETag": '"abc"'})
    chunked = HtmlResponse(page, body=b"<html>x</html>", headers={"Transfer-Encoding": "chunked",
                                                               "Set-Cookie": ["a=1", "b=2"]})
    for response in (not_modified, chunked):
        middleware.process_response(Request(page, headers={"If-None-Match": '"abc"'}), response)
    middleware.spider_closed(None, "finished")
    (path,) = (tmp_path / "warc").iterdir()
    assert path.name.startswith("unit-") and path.name.endswith("-00001.warc.gz")
    responses = [r for r in read_records(path) if r["type"] == "response"]
    assert [r["status_line"] for r in responses] == ["HTTP/1.1 304 Not Modified", "HTTP/1.1 200 OK"]
    assert responses[0]["payload"] == b"" and responses[0]["headers"].get_header("ETag") == '"abc"'
    # The body is stored de-chunked, so the framing header is not kept; repeated headers are.
    assert responses[1]["headers"].get_header("Transfer-Encoding") is None
    assert [v for k, v in responses[1]["headers"].headers if k.lower() == "set-cookie"] == ["a=1", "b=2"]
    assert middleware.stats.get_value("warc/records") == 4


def test_middleware_is_off_when_disabled(tmp_path):
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        make_middleware(tmp_path, WARC_ENABLED=False)
