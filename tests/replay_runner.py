"""Run `scrapy replay` the way a user does: a real subprocess (Twisted's reactor
cannot restart inside one test process) on a real database."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRAPY = Path(sys.executable).with_name("scrapy")


def run_replay(db_url: str, *paths: str | Path, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run(
        [str(SCRAPY), "replay", *map(str, paths), *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
