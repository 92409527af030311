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
   page again, as before the skip existed;
4. a replay of an empty folder on the same database: the fixed cost of a
   run (start-up), subtracted for the ratio of the per-file costs.

Times are wall clock (several processes work at once with -j 2); each step is
repeated `--rounds` times on fresh databases and the median is printed.

Usage (from the repository root):
  .venv/bin/python bench/replay_captures.py [--files N] [-j J] [--rounds R] [--with-force] [-s NAME=VALUE ...]
"""
from __future__ import annotations

import argparse
import os
import re
import resource
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


def children_cpu() -> float:
    """CPU seconds of the finished child processes and theirs (the replay's workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def replay(db: Path, paths: list[Path], jobs: int, *extra: str) -> tuple[float, float, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    command = [str(SCRAPY), "replay", *map(str, paths), "-j", str(jobs), "-s", "PROGRESS_ENABLED=False", *extra]
    cpu, started = children_cpu(), time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - started, children_cpu() - cpu
    summary = next((line for line in result.stdout.splitlines() if "files read" in line), "")
    if result.returncode != 0:
        sys.exit(f"scrapy replay failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
    return seconds, cpu, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=5000, help="captures to write (default 5000)")
    parser.add_argument("--short", type=int, default=100, help="files of the short run subtracted (default 100)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="scrapy replay -j (default: cores)")
    parser.add_argument("--rounds", type=int, default=3, help="repeat each step R times, median (default 3)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for every replay (repeatable)")
    parser.add_argument("--with-force", action="store_true", help="also time a second replay with --force")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="captures-bench-") as tmp:
        work = Path(tmp)
        folder, short, empty = work / "captures", work / "short", work / "empty"
        folder.mkdir()
        short.mkdir()
        empty.mkdir()
        write_captures(folder, args.files)
        for path in sorted(folder.iterdir())[:args.short]:
            (short / path.name).write_bytes(path.read_bytes())
        print(f"{args.files} text captures from {len(SOURCES)} sources, scrapy replay -j {args.jobs}, "
              f"median of {args.rounds} round(s), wall clock" + "".join(f", -s {setting}" for setting in args.set))
        times: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        summaries: dict[str, str] = {}
        settings = [arg for setting in args.set for arg in ("-s", setting)]
        for round_number in range(args.rounds):
            db = work / f"round{round_number}.db"
            for name, paths, extra in (("first", [folder], ()), ("second", [folder], ()),
                                       *((("force", [folder], ("--force",)),) if args.with_force else ())):
                seconds, used, summaries[name] = replay(db, paths, args.jobs, *extra, *settings)
                times.setdefault(name, []).append(seconds)
                cpu.setdefault(name, []).append(used)
            seconds, used, _ = replay(work / f"short{round_number}.db", [short], args.jobs, *settings)
            times.setdefault("short", []).append(seconds)
            cpu.setdefault("short", []).append(used)
            # The fixed cost of a run: start-up and an empty folder (its database current).
            seconds, used, _ = replay(db, [empty], args.jobs, *settings)
            times.setdefault("empty", []).append(seconds)
            cpu.setdefault("empty", []).append(used)
    wall = {name: statistics.median(values) for name, values in times.items()}
    used = {name: statistics.median(values) for name, values in cpu.items()}
    steady = (args.files - args.short) / (wall["first"] - wall["short"])
    print(f"{'':<17}{'wall s':>8}{'CPU s':>8}  (CPU: the command and its workers)")
    for name, label in (("first", "first replay"), ("second", "second replay"), ("force", "second, --force"),
                        ("short", f"first {args.short} files"), ("empty", "empty folder")):
        if name in wall:
            print(f"{label:<17}{wall[name]:8.2f}{used[name]:8.2f}  [{summaries.get(name, '')}]")
    print(f"captures/s, first replay: {args.files / wall['first']:.0f} whole command, {steady:.0f} steady "
          f"(wall; goal >= 1000 on 2 cores), {args.files / used['first']:.0f} per CPU second")
    print(f"first / second: wall {wall['first'] / wall['second']:.1f}x, CPU {used['first'] / used['second']:.1f}x"
          "  (goal >= 20)")
    print(f"  without the fixed cost (an empty folder's run): wall "
          f"{(wall['first'] - wall['empty']) / (wall['second'] - wall['empty']):.1f}x, CPU "
          f"{(used['first'] - used['empty']) / (used['second'] - used['empty']):.1f}x")
    print("rounds, wall (s): " + "  ".join(f"{name} " + ",".join(f"{t:.2f}" for t in values)
                                          for name, values in times.items()))


if __name__ == "__main__":
    main()
