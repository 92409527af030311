#!/usr/bin/env python3
"""Peak memory of `scrapy replay` on real pages and on hostile input.

Each case is a `scrapy replay` of one folder into a fresh SQLite file, run by
a small parent process that does nothing else, so the peak resident set size
of its children (getrusage RUSAGE_CHILDREN) is the command's own:

  aeb         the 181 real news pages of ../shared/benchmarks/aeb/html
  aeb+bomb    the same folder plus a 2 MB .html.gz that inflates to 2 GB
  big pages   two 9.9 MB HTML pages just under DOWNLOAD_MAXSIZE: 600,000
              elements, and 5.5 million characters in one paragraph

Usage (from the repository root):
  .venv/bin/python bench/memory.py [--path DIR] [--bomb-gb N]
"""
from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "aeb" / "html"
SCRAPY = Path(sys.executable).with_name("scrapy")
# The parent that runs the command and reports its children's peak RSS (kB on Linux).
_MEASURE = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
_PAGE = (REPO / "tests" / "sites" / "24.ae" / "articles" / "845201.html").read_text(encoding="utf-8")


def measured_replay(folder: Path, database: Path, *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    """`scrapy replay folder` and its peak resident memory in MB."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{database}")
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(SCRAPY), "replay", str(folder), *extra],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    *output, peak_kb = result.stdout.rstrip("\n").split("\n")
    result.stdout = "\n".join(output)
    return result, int(peak_kb) / 1024


def write_gzip_bomb(path: Path, inflated: int) -> None:
    """A .html.gz of one gzip member that inflates to `inflated` bytes of HTML."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1 << 20)
    with open(path, "wb") as out:
        out.write(deflate.compress(b"<html><body><p>"))
        for _ in range(inflated // len(block)):
            out.write(deflate.compress(block))
        out.write(deflate.flush())


def write_big_pages(folder: Path, size: int = 9_900_000) -> None:
    """Two pages just under DOWNLOAD_MAXSIZE that parse into too much: elements, text."""
    first = _PAGE.index("<p>")
    head, tail = _PAGE[:first], _PAGE[first:]
    block = "<div><span>كلمة</span></div>"
    (folder / "elements.html").write_text(head + block * ((size - len(_PAGE)) // len(block.encode())) + tail)
    words = "نص عربي طويل بلا علامات "
    (folder / "text.html").write_text(head + "<p>" + words * ((size - len(_PAGE)) // len(words.encode())) + tail)


def summary_line(result: subprocess.CompletedProcess) -> str:
    return next((line for line in result.stdout.splitlines() if " files read" in line), "no summary")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Peak memory of scrapy replay, real and hostile input.")
    parser.add_argument("--path", type=Path, default=DEFAULT_DATA, help="folder of the AEB pages (html/*.html.gz)")
    parser.add_argument("--bomb-gb", type=float, default=2.0, help="what the gzip bomb inflates to, in GB")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as scratch:
        work = Path(scratch)
        aeb_bomb, big = work / "aeb+bomb", work / "big"
        aeb_bomb.mkdir()
        big.mkdir()
        for page in sorted(args.path.glob("*.html.gz")):
            (aeb_bomb / page.name).symlink_to(page)
        bomb = aeb_bomb / "zz-bomb.html.gz"
        write_gzip_bomb(bomb, int(args.bomb_gb * (1 << 30)))
        write_big_pages(big)
        cases = [("aeb", args.path), (f"aeb+bomb ({bomb.stat().st_size / 2**20:.1f} MB -> {args.bomb_gb:g} GB)", aeb_bomb),
                 ("big pages (2 x 9.9 MB)", big)]
        print(f"{'replay of':<32}{'peak RSS':>10}{'wall':>8}  summary")
        for number, (name, folder) in enumerate(cases):
            started = time.perf_counter()
            result, peak = measured_replay(folder, work / f"{number}.db", "-s", "PROGRESS_ENABLED=False")
            print(f"{name:<32}{peak:>7.0f} MB{time.perf_counter() - started:>7.1f}s  {summary_line(result)}")


if __name__ == "__main__":
    main()
