#!/usr/bin/env python3
"""Articles per second of a distributed crawl with 1, 2 and 3 workers.

Each case crawls the generated loopback site (tests/sites/generated.py, served
by tests/sites/server.py on 127.0.0.1) from scratch: a new PostgreSQL database
and a new Redis database, N `scrapy crawl generic ... -s REDIS_URL=...` worker
processes started at once, AutoThrottle off and no download delay. The anchor,
in the same run, is the same crawl by one process without Redis (the project's
own scheduler). Two figures per case:

  wall      articles / seconds from the start of the processes to the exit of the last
            (start-up, seeding, the end-of-run wait and the last batch included)
  crawl     articles / seconds from the first to the last article page the server answered
  cpu       CPU seconds (user + system) of the worker processes per 100 articles: what
            the Redis scheduler costs, whatever else the machine is running

Usage (from the repository root; needs redis-server and PostgreSQL 15, as the tests do):
  .venv/bin/python bench/distributed.py [--articles 400] [--workers 1,2,3]
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402

from tests.conftest import PostgresServer  # noqa: E402
from tests.distributed_runner import RedisServer, start_worker  # noqa: E402
from tests.sites.generated import HOST, write_news_site  # noqa: E402
from tests.sites.server import FixtureServer  # noqa: E402


def stored(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
    finally:
        engine.dispose()


def crawl(site: FixtureServer, workdir: Path, db_url: str, redis_url: str | None, workers: int) -> dict:
    site.reset()
    workdir.mkdir()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    processes = [start_worker(site, redis_url or "", db_url, workdir, f"worker-{n}")
                 for n in range(1, workers + 1)]
    codes = [process.wait(timeout=900) for process in processes]
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    pages = [r for r in site.requests_for(HOST) if r.path.startswith("/news/") and r.status == 200]
    span = (pages[-1].received_at - pages[0].received_at).total_seconds() if len(pages) > 1 else float("nan")
    return {"codes": codes, "stored": stored(db_url), "fetched": len(pages), "wall": wall, "span": span, "cpu": cpu,
            "shares": sorted(Counter(r.headers.get("User-Agent") for r in pages).values(), reverse=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--workers", default="1,2,3", help="worker counts, comma-separated")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]

    base = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    # Its own top-level folder: the server runs as the postgres user, who cannot enter `base`.
    postgres = PostgresServer(Path(tempfile.mkdtemp(prefix="bench-postgres-")))
    postgres.start()
    try:
        write_news_site(base / "sites", articles=args.articles)
        with RedisServer(base / "redis") as redis_server, FixtureServer(sites_dir=base / "sites") as site:
            cases = [("1 process, no Redis", None, 1)] + [(f"{n} worker{'s' * (n > 1)}", n, n) for n in counts]
            results = []
            for number, (label, db, workers) in enumerate(cases):
                db_url = postgres.create_database(f"bench_{number}")
                redis_url = redis_server.url(db) if db is not None else None
                result = crawl(site, base / f"case-{number}", db_url, redis_url, workers)
                results.append((label, result))
                print(f"{label:<22} exit {result['codes']}  stored {result['stored']}  fetched {result['fetched']}  "
                      f"wall {result['wall']:6.2f} s = {args.articles / result['wall']:6.1f} art/s  "
                      f"crawl {result['span']:6.2f} s = {args.articles / result['span']:6.1f} art/s  "
                      f"cpu {100 * result['cpu'] / args.articles:5.2f} s/100 art  shares {result['shares']}", flush=True)
        anchor = results[0][1]
        print(f"\n{args.articles} articles; ratios to the anchor (1 process, no Redis), wall / crawl:")
        for label, result in results[1:]:
            print(f"  {label:<10} {anchor['wall'] / result['wall']:.2f}x / {anchor['span'] / result['span']:.2f}x")
    finally:
        postgres.stop()
        shutil.rmtree(postgres.base, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
