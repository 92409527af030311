"""Run live-crawl commands the way a user does, against the fixture sites:
`scrapy crawl <spider>` / `scrapy crawlall` in a real subprocess (Twisted's
reactor cannot restart inside one test process), every request routed to a
`FixtureServer` on 127.0.0.1 (crawler/middlewares/routing.py), into a real database.

    with FixtureServer(slow_delay=0.2) as server:
        result = run_crawl(server, sqlite_url, "24ae", workdir=tmp_path)
"""
from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from tests.replay_runner import REPO, SCRAPY
from tests.sites.server import FixtureServer, load_expected


def window_start(host: str) -> str:
    """The start of the sitemap window the site's expectations are written for:
    its reference time minus its window (a crawl "at" the reference time)."""
    window = load_expected(host)["sitemap_window"]
    start = datetime.fromisoformat(window["reference"]) - timedelta(days=window["days"])
    return start.isoformat()


def spider_args(host: str) -> list[str]:
    """`scrapy crawl` arguments for the site's spider: its outlet's, else the generic one."""
    expected = load_expected(host)
    if expected["outlet"]:
        return [expected["outlet"]]
    return ["generic", "-a", f"url=https://{expected['host']}/"]


def fixture_settings(server: FixtureServer, workdir: Path) -> list[str]:
    """Route to the server; no waiting that only a real site deserves."""
    return [
        "-s", f"FIXTURE_SERVER={server.base_url}",
        "-s", f"WARC_DIR={workdir / 'warc'}",
        "-s", "AUTOTHROTTLE_START_DELAY=0",
        "-s", "DOWNLOAD_DELAY=0",
        "-s", "RETRY_BACKOFF_BASE=0.05",
        "-s", "LOG_LEVEL=INFO",
    ]


def run_scrapy(db_url: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run([str(SCRAPY), *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def run_crawl(server: FixtureServer, db_url: str, host: str, *, workdir: Path, since: str | None = None,
              extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Crawl one fixture site with its spider, as if at the site's reference time."""
    return run_scrapy(db_url, "crawl", *spider_args(host), "-a", f"since={since or window_start(host)}",
                      *fixture_settings(server, workdir), *extra)
