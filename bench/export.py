#!/usr/bin/env python3
"""Peak memory of `scrapy export` against the number of rows: constant when streamed.

A database of synthetic articles (Arabic bodies of about 6 KB drawn from the
seed pages' words, authors, tags, dates) is exported by `scrapy export` to
each format, once with the small count of rows and once with the large one;
each run is measured by a parent process that does nothing else, so its
children's peak resident set size (getrusage RUSAGE_CHILDREN) is the command's.
The anchor in the same run: the same Parquet file written the naive way
(pandas.read_sql of the whole table, then to_parquet), whose memory grows with
the rows.

Usage (from the repository root):
  .venv/bin/python bench/export.py [--rows 20000 200000] [--formats jsonl csv parquet] [--postgres]
With --postgres the database is on a temporary PostgreSQL server (the test
suite's, tests/conftest.py) and the export reads through a server-side cursor.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SCRAPY = Path(sys.executable).with_name("scrapy")
_MEASURE = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
_NAIVE = """
import sys, pandas, sqlalchemy
engine = sqlalchemy.create_engine(sys.argv[1])
pandas.read_sql("SELECT * FROM articles ORDER BY id", engine).to_parquet(sys.argv[2])
"""
OUTLETS = ("24ae", "aawsat", "khaberain", "thenewkhalij")
INSERT_ROWS = 5000


def vocabulary() -> list[str]:
    words = set()
    for path in (REPO / "seeds").glob("*.txt"):
        words.update(re.findall(r"[\u0621-\u064A]{2,}", path.read_text(encoding="utf-8")))
    return sorted(words)


def fill(url: str, rows: int, seed: int = 7) -> None:
    """`rows` synthetic articles, inserted in bulk through the schema's own table."""
    from sqlalchemy import insert

    from db.models import Article
    from db.session import prepare_database

    words = vocabulary()
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    engine = prepare_database(url)
    try:
        for first in range(0, rows, INSERT_ROWS):
            batch = []
            for n in range(first, min(first + INSERT_ROWS, rows)):
                body = "\n\n".join(" ".join(rng.choices(words, k=60)) for _ in range(7))
                published = start + timedelta(minutes=17 * n)
                batch.append({
                    "url": f"https://example.com/article/{n}", "url_key": f"https://example.com/article/{n}",
                    "parser": "html", "outlet": OUTLETS[n % len(OUTLETS)], "title": " ".join(rng.choices(words, k=8)),
                    "body": body, "published_at": published, "section": rng.choice(words),
                    "authors": "; ".join(rng.choices(words, k=2)), "tags": "; ".join(rng.choices(words, k=4)),
                    "word_count": 420, "content_hash": f"{n:064x}", "first_seen_at": published,
                    "last_seen_at": published, "fetched_at": published, "version": 1,
                })
            with engine.begin() as connection:
                connection.execute(insert(Article), batch)
    finally:
        engine.dispose()


def measured(command: list[str], env: dict) -> tuple[float, float, subprocess.CompletedProcess]:
    """Seconds and peak resident memory (MB) of a command."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", _MEASURE, *command], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=3600)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return seconds, int(result.stdout.split()[-1]) / 1024, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Peak memory of scrapy export, small and large databases.")
    parser.add_argument("--rows", type=int, nargs=2, default=(20_000, 200_000), metavar=("SMALL", "LARGE"))
    parser.add_argument("--formats", nargs="+", default=["jsonl", "csv", "parquet"])
    parser.add_argument("--postgres", action="store_true", help="on a temporary PostgreSQL server")
    parser.add_argument("--no-naive", action="store_true", help="skip the in-memory anchor")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-export-") as scratch:
        work = Path(scratch)
        server = None
        if args.postgres:
            from tests.conftest import PostgresServer

            server = PostgresServer(Path(tempfile.mkdtemp(prefix="bench-export-pg-")))
            server.start()
        try:
            results = {}
            for rows in args.rows:
                if server is not None:
                    url = server.create_database(f"export_{rows}")
                else:
                    url = f"sqlite:///{work / f'news-{rows}.db'}"
                started = time.monotonic()
                fill(url, rows)
                print(f"{rows} rows written in {time.monotonic() - started:.0f} s", file=sys.stderr)
                env = dict(os.environ, DATABASE_URL=url)
                for fmt in args.formats:
                    output = work / f"{rows}.{fmt}"
                    seconds, peak, _ = measured([str(SCRAPY), "export", "-o", str(output)], env)
                    results[fmt, rows] = (seconds, peak, output.stat().st_size / 1e6)
                    output.unlink()
                if not args.no_naive:
                    output = work / f"naive-{rows}.parquet"
                    seconds, peak, _ = measured([sys.executable, "-c", _NAIVE, url, str(output)], env)
                    results["naive parquet", rows] = (seconds, peak, output.stat().st_size / 1e6)
                    output.unlink()
        finally:
            if server is not None:
                server.stop()
        small, large = args.rows
        engine = "PostgreSQL" if args.postgres else "SQLite"
        print(f"scrapy export, {engine}: peak RSS with {small} and {large} rows")
        print(f"{'format':<16}{'rows':>8}{'seconds':>9}{'rows/s':>9}{'file MB':>9}{'peak MB':>9}{'x small':>9}")
        for name in [*args.formats, *([] if args.no_naive else ["naive parquet"])]:
            for rows in args.rows:
                seconds, peak, size = results[name, rows]
                ratio = peak / results[name, small][1]
                print(f"{name:<16}{rows:>8}{seconds:>9.1f}{rows / seconds:>9.0f}{size:>9.1f}{peak:>9.0f}{ratio:>9.2f}")


if __name__ == "__main__":
    main()
