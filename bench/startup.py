#!/usr/bin/env python3
"""Start-up of `scrapy replay`: a one-file replay, whole command, wall clock.

In one run, each `--rounds` times (median printed):
- anchors: the interpreter alone (`python -c pass`) and Scrapy's own start
  (`scrapy version`, which loads the project's commands too);
- `scrapy replay SEED -j 1 --force` into a database already at the head
  revision (the usual case: nothing to migrate; --force so that the file is
  parsed, not skipped as unchanged), and `-j 2` (the default on 2 cores);
- the same into a fresh SQLite file (every migration runs).

Usage (from the repository root):
  .venv/bin/python bench/startup.py [--rounds R] [-s NAME=VALUE ...]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRAPY = Path(sys.executable).with_name("scrapy")
SEED = REPO / "seeds" / "000_d63afe6809be283e.txt"


def timed(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="repeat each command R times, median (default 7)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for the replays (repeatable)")
    args = parser.parse_args()
    settings = [arg for setting in args.set for arg in ("-s", setting)]
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        current = f"sqlite:///{Path(tmp) / 'current.db'}"
        timed([str(SCRAPY), "replay", str(SEED), "-j", "1", *settings], {"DATABASE_URL": current})
        for round_number in range(args.rounds):
            fresh = f"sqlite:///{Path(tmp) / f'fresh{round_number}.db'}"
            for name, command, env in (
                ("python -c pass", [sys.executable, "-c", "pass"], None),
                ("scrapy version", [str(SCRAPY), "version"], None),
                # --force: the file is parsed again, not skipped as unchanged.
                ("replay, current database, -j 1", [str(SCRAPY), "replay", str(SEED), "-j", "1", "--force",
                                                    *settings], {"DATABASE_URL": current}),
                ("replay, current database, -j 2", [str(SCRAPY), "replay", str(SEED), "-j", "2", "--force",
                                                    *settings], {"DATABASE_URL": current}),
                ("replay, fresh database, -j 1", [str(SCRAPY), "replay", str(SEED), "-j", "1", *settings],
                 {"DATABASE_URL": fresh}),
            ):
                times.setdefault(name, []).append(timed(command, env))
    print(f"one-file replay ({SEED.name}), wall clock, median of {args.rounds}"
          + "".join(f", -s {setting}" for setting in args.set))
    for name, values in times.items():
        print(f"{name:<34}{statistics.median(values):6.2f} s   (min {min(values):.2f})")
    print("goal: replay into a current database under 1.5 s")


if __name__ == "__main__":
    main()
