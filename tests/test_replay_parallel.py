"""`scrapy replay -j N`: pages read by worker processes, stored by one writer,
give the same rows, rejections, summary and exit status as `-j 1`; the same
text stored at once by two workers, or by two replays, is one row."""
from __future__ import annotations

import asyncio
import gzip
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

from scrapy.settings import Settings
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.items import ArticleItem
from crawler.pagereader import ReaderPool, SavedFile, read_pages
from crawler.pages import CAPTURE
from tests.replay_runner import REPO, SCRAPY, run_replay
from tests.sites.server import Site
from tests.test_replay import SEEDS, make_bad_inputs, sqlite_rows
from tests.test_replay_skip import last_run_stats

SITES = REPO / "tests" / "sites"
FIXTURES = REPO / "tests" / "fixtures"
# What must not differ between two replays of the same inputs (ids and times do).
COMPARED = ("url", "input_ref", "parser", "outlet", "title", "subtitle", "body", "published_at", "authors",
            "content_hash", "search_text", "warnings", "word_count")


def write_archive(path: Path) -> int:
    """A WARC file of the 24.ae fixture site's articles, some gzip-encoded
    as served; returns the number of article records."""
    site = Site(SITES / "24.ae")
    articles = [(key, spec) for key, spec in sorted(site.routes.items()) if spec.get("file", "").startswith("articles/")]
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for number, (key, spec) in enumerate(articles):
            page = site.page(spec)
            body, headers = page.body, [("Content-Type", page.content_type)]
            if number % 2:
                body, headers = gzip.compress(body), headers + [("Content-Encoding", "gzip")]
            writer.write_record(writer.create_warc_record(
                site.url(key), "response", payload=io.BytesIO(body), length=len(body),
                http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": "2024-11-20T10:00:00Z"},
            ))
    return len(articles)


def mixed_inputs(folder: Path) -> None:
    """Captures, HTML, a WARC archive, bad inputs, and one text in three files."""
    make_bad_inputs(folder)
    for path in [*SEEDS.glob("*.txt"), *(FIXTURES / "captures").glob("*.txt"), *(FIXTURES / "html").glob("*.html")]:
        shutil.copy(path, folder / path.name)
    for copy in ("a", "b"):
        shutil.copy(SEEDS / "002_1f4e6ce772e1f267.txt", folder / f"copy_{copy}.txt")
    write_archive(folder / "site.warc.gz")


def table(db: Path, name: str, columns: tuple[str, ...], key: str) -> list[tuple]:
    return sorted(tuple(row[c] for c in columns) for row in sqlite_rows(db, name) if row[key] is not None)


def replay_output(result: subprocess.CompletedProcess) -> str:
    """The summary as printed, with the run's own paths and times left out."""
    return re.sub(r"\(\d+ s\)", "", result.stdout)


def test_parallel_replay_stores_what_one_process_stores(tmp_path):
    folder = tmp_path / "in"
    mixed_inputs(folder)
    runs = {}
    for jobs in (1, 2):
        db = tmp_path / f"j{jobs}.db"
        runs[jobs] = (db, run_replay(f"sqlite:///{db}", folder, extra=("-j", str(jobs))))
    (db1, one), (db2, two) = runs[1], runs[2]
    assert one.returncode == two.returncode == 1, one.stdout + one.stderr[-2000:]  # the bad inputs
    assert replay_output(one) == replay_output(two)
    assert "WARC files" in one.stdout and "rejected" in one.stdout
    articles = table(db1, "articles", COMPARED, "url")
    assert len(articles) >= 15
    assert articles == table(db2, "articles", COMPARED, "url")
    rejected = ("url", "input_ref", "reason", "attempts")
    assert table(db1, "rejected_pages", rejected, "url") == table(db2, "rejected_pages", rejected, "url")
    # The three files of one text are one row, stored from the first of them.
    rows = [r for r in sqlite_rows(db2) if r["content_hash"] == next(
        a["content_hash"] for a in sqlite_rows(db2) if a["url"].endswith("002_1f4e6ce772e1f267.txt"))]
    assert [Path(r["url"]).name for r in rows] == ["002_1f4e6ce772e1f267.txt"]
    # Every page of the archive (half of them gzip-encoded as served) was read and stored.
    inputs = [r["input_ref"] for r in sqlite_rows(db2, "replay_inputs")]
    assert sum("site.warc.gz#offset=" in ref for ref in inputs) == write_archive(tmp_path / "x.warc.gz")
    # Again: every stored file and record is skipped (the records by the workers), the rest read.
    again = run_replay(f"sqlite:///{db2}", folder, extra=("-j", "2"))
    assert last_run_stats(db2)["replay/skipped_unchanged"] == len(inputs)
    total = next(line.split() for line in again.stdout.splitlines() if line.startswith("total"))
    assert total[1:3] == ["0", "0"], again.stdout


def test_a_replay_waits_for_a_slower_database_instead_of_spooling(tmp_path):
    """The readers outrun a writer of batches of 2 that may hold 4 pages: the
    replay waits for it, so no page goes through the spool (meant for an
    outage), and every one is stored."""
    folder = tmp_path / "in"
    folder.mkdir()
    texts = sorted(SEEDS.glob("*.txt"))
    for number in range(40):
        source = texts[number % len(texts)].read_text(encoding="utf-8")
        (folder / f"{number:03d}.txt").write_text(source.replace("\n\n", f"\n\n({number})\n\n", 1),
                                                  encoding="utf-8")
    spool = tmp_path / "spool"
    result = run_replay(f"sqlite:///{tmp_path / 'news.db'}", folder, extra=(
        "-j", "2", "-L", "INFO", "-s", "STORAGE_BATCH_SIZE=2", "-s", "STORAGE_MAX_HELD=4",
        "-s", f"STORAGE_SPOOL_DIR={spool}"))
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "40 files read, 40 stored" in result.stdout
    assert "spooling" not in result.stderr and not list(spool.rglob("*.jsonl"))


def test_two_replays_storing_one_text_at_once_give_one_row(tmp_path):
    folders = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        # The same texts under other names, so that the two runs race on content, not URLs.
        for path in SEEDS.glob("*.txt"):
            shutil.copy(path, folder / f"{name}-{path.name}")
        folders.append(folder)
    db = tmp_path / "news.db"
    # Schema first, so both runs start on a current database.
    assert run_replay(f"sqlite:///{db}", SEEDS / "000_d63afe6809be283e.txt").returncode == 0
    env = {"DATABASE_URL": f"sqlite:///{db}"}
    runs = [subprocess.Popen([str(SCRAPY), "replay", str(folder), "-j", "2"], cwd=REPO, env={**os.environ, **env},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for folder in folders]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    by_text: dict[str, list[str]] = {}
    for row in sqlite_rows(db):
        by_text.setdefault(row["content_hash"], []).append(row["url"])
    assert len(by_text) == 5
    # One row per text (of one outlet): the seed file's row, or the first copy stored.
    assert all(len(urls) == 1 for urls in by_text.values()), by_text
    counts = [re.search(r"(\d+) files read, (\d+) stored", out).groups() for out, _ in outputs]
    assert counts == [("5", "5"), ("5", "5")]


def test_the_pages_of_a_worker_that_died_are_read_by_the_command(caplog):
    settings = Settings()
    settings.setmodule("crawler.settings")
    pool = ReaderPool(settings, 2)
    pages = [SavedFile(path, CAPTURE, path.stat().st_size) for path in sorted(SEEDS.glob("*.txt"))]

    async def read_all():
        return [outcome async for outcome in read_pages(iter(pages), None, pool)]

    try:
        for process in list(pool.executor._processes.values()):
            process.kill()
            process.join()
        outcomes = asyncio.run(read_all())
    finally:
        pool.shutdown()
    assert [outcome.entry.input_ref for outcome in outcomes] == [page.input_ref for page in pages]
    assert all(isinstance(outcome.entry, ArticleItem) and outcome.entry.body for outcome in outcomes)
    assert "A replay worker failed" in caplog.text


def test_pages_known_unchanged_do_not_go_through_the_workers(caplog):
    """A replay of unchanged files has nothing for its workers to read: the
    outcomes known already come back in order without a worker's round trip
    (a worker may still be starting), here from a pool with no worker left."""
    from crawler.pagereader import Outcome, SeenInput

    settings = Settings()
    settings.setmodule("crawler.settings")
    pool = ReaderPool(settings, 2)
    pages = [SavedFile(path, CAPTURE, path.stat().st_size) for path in sorted(SEEDS.glob("*.txt"))]
    known = [Outcome(SeenInput(f"file:///saved/{number}.txt", number, None), {"replay/read": 1})
             for number in range(40)]

    async def read_all(units):
        return [outcome async for outcome in read_pages(iter(units), None, pool)]

    try:
        for process in list(pool.executor._processes.values()):
            process.kill()
            process.join()
        outcomes = asyncio.run(read_all(known))
        assert outcomes == known
        assert "A replay worker failed" not in caplog.text
        # Pages to read among them still go to the (here broken) pool, and are read all the same.
        mixed = asyncio.run(read_all([*known[:20], *pages, *known[20:]]))
    finally:
        pool.shutdown()
    assert [o.entry.input_ref for o in mixed] == [*(o.entry.input_ref for o in known[:20]),
                                                  *(p.input_ref for p in pages),
                                                  *(o.entry.input_ref for o in known[20:])]
    assert "A replay worker failed" in caplog.text
