#!/usr/bin/env python3
"""Text captures per second, and the second replay of an unchanged folder.

Writes N distinct text captures (default 5,000) into a temporary folder: the
seed captures (seeds/*.txt) and the capture fixtures (tests/fixtures/captures),
each copy with its own number in each long line, so every one is a new
article. Then, into a fresh SQLite file, in one run:

1. `scrapy replay -j J FOLDER` (the first import), and the same on the first
   `--short` files: the difference of the two times over the difference of
   the counts is the steady rate (start-up, migrations and spider open/close
   cancel out); the whole command's rate is printed too;
2. `scrapy replay -j J FOLDER` again on the same database: every file is
   unchanged and skipped without extraction; the ratio of the two times is
   the figure (goal: at least 20);
3. `--force` (optional, `--with-force`): the second replay extracting every
   page again, as before the skip existed.

Times are wall clock (several processes work at once with -j 2); each step is
repeated `--rounds` times on fresh databases and the median is printed.

Usage (from the repository root):
  .venv/bin/python bench/replay_captures.py [--files N] [-j J] [--rounds R] [--with-force]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRAPY = Path(sys.executable).with_name("scrapy")
SOURCES = [*sorted((REPO / "seeds").glob("*.txt")), *sorted((REPO / "tests" / "fixtures" / "captures").glob("*.txt"))]


def write_captures(folder: Path, count: int) -> None:
    """`count` captures, each source in turn with a number of its own in each
    long line (so whatever the cleanup drops, every copy is a text of its own)."""
    texts = [path.read_text(encoding="utf-8") for path in SOURCES]
    for number in range(count):
        lines = texts[number % len(texts)].split("\n")
        for index, line in enumerate(lines):
            if len(line) >= 80:
                words = line.split(" ")
                words.insert(len(words) // 2, f"({number})")
                lines[index] = " ".join(words)
        (folder / f"{number:05d}.txt").write_text("\n".join(lines), encoding="utf-8")


def replay(db: Path, paths: list[Path], jobs: int, *extra: str) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    command = [str(SCRAPY), "replay", *map(str, paths), "-j", str(jobs), "-s", "PROGRESS_ENABLED=False", *extra]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    summary = next((line for line in result.stdout.splitlines() if "files read" in line), "")
    if result.returncode != 0:
        sys.exit(f"scrapy replay failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
    return seconds, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=5000, help="captures to write (default 5000)")
    parser.add_argument("--short", type=int, default=100, help="files of the short run subtracted (default 100)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="scrapy replay -j (default: cores)")
    parser.add_argument("--rounds", type=int, default=3, help="repeat each step R times, median (default 3)")
    parser.add_argument("--with-force", action="store_true", help="also time a second replay with --force")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="captures-bench-") as tmp:
        work = Path(tmp)
        folder, short = work / "captures", work / "short"
        folder.mkdir()
        short.mkdir()
        write_captures(folder, args.files)
        for path in sorted(folder.iterdir())[:args.short]:
            (short / path.name).write_bytes(path.read_bytes())
        print(f"{args.files} text captures from {len(SOURCES)} sources, scrapy replay -j {args.jobs}, "
              f"median of {args.rounds} round(s), wall clock")
        times: dict[str, list[float]] = {}
        summaries: dict[str, str] = {}
        for round_number in range(args.rounds):
            db = work / f"round{round_number}.db"
            for name, paths, extra in (("first", [folder], ()), ("second", [folder], ()),
                                       *((("force", [folder], ("--force",)),) if args.with_force else ())):
                seconds, summaries[name] = replay(db, paths, args.jobs, *extra)
                times.setdefault(name, []).append(seconds)
            seconds, _ = replay(work / f"short{round_number}.db", [short], args.jobs)
            times.setdefault("short", []).append(seconds)
    median = {name: statistics.median(values) for name, values in times.items()}
    steady = (args.files - args.short) / (median["first"] - median["short"])
    print(f"first replay:   {median['first']:6.2f} s  {args.files / median['first']:7.0f} captures/s whole command, "
          f"{steady:7.0f} captures/s steady  [{summaries['first']}]")
    print(f"second replay:  {median['second']:6.2f} s  [{summaries['second']}]")
    if args.with_force:
        print(f"second, --force:{median['force']:6.2f} s  [{summaries['force']}]")
    print(f"first / second: {median['first'] / median['second']:.1f}x  (goal >= 20)")
    print("rounds (s): " + "  ".join(f"{name} " + ",".join(f"{t:.2f}" for t in values) for name, values in times.items()))


if __name__ == "__main__":
    main()
