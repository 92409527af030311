#!/usr/bin/env python3
"""Throughput and body quality of the HTML path on the AEB pages.

Replays the Article Extraction Benchmark's real news pages (html/*.html.gz +
ground-truth.json) through the product path and, in the same run, through bare
trafilatura (`bare_extraction` with default arguments and
include_comments=False), and prints pages/s, the ratio ours/bare and the body
F1 of both. extract_html alone is timed too (its bodies are the ones before
the normalizer chain).

Product path (default): `scrapy replay` in a subprocess (Twisted's reactor
cannot restart in one process): Scrapy's engine reading the files, HTML
extraction, the NORMALIZERS chain and batched writes into a fresh SQLite file.
Bodies are read back from that database. Its rate is the steady one: the
command runs twice, on all pages and on the first few, and the difference of
the two times is divided by the difference of page counts, so fixed costs
(interpreter and Scrapy start-up, schema migrations, opening and closing the
spider) cancel out. The rates with them are printed too.

Parallel replay, whole processes against each other (wall clock, median of
the rounds): `scrapy replay -j N` (default 2) on all pages, start-up included,
against bare trafilatura in a process of its own (interpreter start, its
import, every page); the ratio of the two times is the -j N throughput ratio.
Its steady rate is measured as for -j 1 (all pages and the first few, the
difference of the engine's elapsed times) against bare trafilatura's wall rate.
Text captures: `scrapy replay -j N` on --captures distinct captures
(bench/replay_captures.py writes them) and on a tenth of them; captures/s of
the whole command and steady (the difference of the two).

--in-process runs the same parts without Scrapy's engine (read_saved_page,
the normalizer chain, StoragePipeline) and prints the time of each stage.

The ratio is printed twice: best rate against best rate, and each round's
own ratio (bare trafilatura and ours in the same round, within a minute of
each other) with their median, which shows the spread: ours is the
difference of two whole replays, so one slow start-up moves a round's ratio.

Two clocks: CPU time of the process doing the work (the figure to compare on
a machine that runs other jobs: everything here runs on one core) and wall
time. Each run is repeated (--rounds) and its best time kept, the one least
disturbed by other work on the machine.

Body F1, two ways:
  aeb    the benchmark's own metric: 4-token shingles, mean precision and mean
         recall over pages, F1 of the two (published: trafilatura 0.958);
  token  multiset overlap of \\w+ tokens, F1 per page, averaged (the seed
         scorer's metric).

Usage (from the repository root):
  .venv/bin/python bench/replay_aeb.py [--pages N] [--path DIR] [--rounds R] [-j N]
                                       [--captures N] [-s NAME=VALUE ...] [--in-process]
"""
from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "aeb"
SCRAPY = Path(sys.executable).with_name("scrapy")
TOKEN = re.compile(r"\w+")

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


class Timing(NamedTuple):
    wall: float
    cpu: float

    def __sub__(self, other):
        return Timing(self.wall - other.wall, self.cpu - other.cpu)

    def scaled(self, factor: float) -> Timing:
        return Timing(self.wall * factor, self.cpu * factor)


class Stopwatch:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.timing = Timing(time.perf_counter() - self.wall, time.process_time() - self.cpu)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- data ---------------------------------------------------------------------


def load_pages(data: Path, limit: int | None) -> list[dict]:
    truth_file, html_dir = data / "ground-truth.json", data / "html"
    if not truth_file.is_file() or not html_dir.is_dir():
        sys.exit(
            f"AEB data not found under {data}: expected ground-truth.json and html/*.html.gz.\n"
            "Pass --path to the folder holding the benchmark data."
        )
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        path = html_dir / f"{key}.html.gz"
        if path.is_file():
            pages.append({"key": key, "path": path, "url": truth[key]["url"],
                          "gold": truth[key].get("articleBody") or ""})
    if not pages:
        sys.exit(f"No pages of ground-truth.json found in {html_dir}")
    return pages[:limit] if limit else pages


# --- metrics --------------------------------------------------------------------


def shingles(text: str, size: int = 4) -> Counter:
    tokens = TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + size]) for i in range(max(1, len(tokens) - size + 1)) if tokens[i:i + size])


def aeb_f1(pairs: list[tuple[str, str]]) -> float:
    """F1 of mean precision and mean recall of 4-token shingles, as the
    benchmark computes it (a page with nothing predicted has no precision)."""
    precisions, recalls = [], []
    for predicted, gold in pairs:
        p, g = shingles(predicted), shingles(gold)
        hit = sum((p & g).values())
        extra, missed = sum(p.values()) - hit, sum(g.values()) - hit
        if extra == missed == 0:
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        if hit + extra:
            precisions.append(hit / (hit + extra))
        if hit + missed:
            recalls.append(hit / (hit + missed))
    precision, recall = statistics.mean(precisions), statistics.mean(recalls)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def token_f1(pairs: list[tuple[str, str]]) -> float:
    scores = []
    for predicted, gold in pairs:
        p, g = Counter(TOKEN.findall(predicted or "")), Counter(TOKEN.findall(gold or ""))
        hit = sum((p & g).values())
        scores.append(0.0 if not hit else 2 * hit / (sum(p.values()) + sum(g.values())))
    return statistics.mean(scores)


def scores(pages: list[dict], bodies: dict[str, str]) -> str:
    pairs = [(bodies.get(p["key"], ""), p["gold"]) for p in pages]
    return f"F1 aeb {aeb_f1(pairs):.4f}  token {token_f1(pairs):.4f}"


# --- in this process: bare trafilatura, extract_html ----------------------------------


def run_bare(pages: list[dict]) -> tuple[Timing, dict[str, str]]:
    from trafilatura import bare_extraction

    bodies = {}
    with Stopwatch() as watch:
        for page in pages:
            document = bare_extraction(gzip.decompress(page["path"].read_bytes()), url=page["url"],
                                       include_comments=False)
            bodies[page["key"]] = (document.text if document is not None else "") or ""
    return watch.timing, bodies


BARE_PROCESS = """
import gzip, sys
from trafilatura import bare_extraction
for path, url in zip(sys.argv[1::2], sys.argv[2::2]):
    with open(path, "rb") as f:
        bare_extraction(gzip.decompress(f.read()), url=url, include_comments=False)
"""


def run_bare_process(pages: list[dict]) -> Timing:
    """Bare trafilatura as a whole process of its own: interpreter start, its
    import, every page (the reference of the -j N whole-command figure)."""
    arguments = [value for p in pages for value in (str(p["path"]), p["url"])]
    cpu_before, started = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE_PROCESS, *arguments], check=True)
    return Timing(time.perf_counter() - started, children_cpu() - cpu_before)


def run_captures(workdir: Path, count: int, short: int, jobs: int, overrides: list[str]) -> tuple[float, float]:
    """Seconds of `scrapy replay -j N` on `count` distinct text captures and on
    `short` of them (bench/replay_captures.py writes them), fresh databases."""
    from replay_captures import write_captures

    folder, head = workdir / f"captures-{time.monotonic_ns()}", workdir / f"captures-short-{time.monotonic_ns()}"
    folder.mkdir()
    head.mkdir()
    write_captures(folder, count)
    for path in sorted(folder.iterdir())[:short]:
        (head / path.name).hardlink_to(path)
    seconds = []
    for source in (folder, head):
        db = workdir / f"captures-{time.monotonic_ns()}.db"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
        started = time.perf_counter()
        settings = [arg for setting in ["PROGRESS_ENABLED=False", *overrides] for arg in ("-s", setting)]
        result = subprocess.run([str(SCRAPY), "replay", "-j", str(jobs), str(source), *settings],
                                cwd=REPO, env=env, capture_output=True, text=True)
        seconds.append(time.perf_counter() - started)
        if result.returncode != 0:
            sys.exit(f"scrapy replay of the captures failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return seconds[0], seconds[1]


def run_extraction(pages: list[dict]) -> tuple[Timing, dict[str, str]]:
    from crawler.extraction.html import extract_html

    bodies = {}
    with Stopwatch() as watch:
        for page in pages:
            item = extract_html(gzip.decompress(page["path"].read_bytes()), page["url"])
            bodies[page["key"]] = item.body or ""
    return watch.timing, bodies


# --- product path: scrapy replay ---------------------------------------------------


def run_replay(pages: list[dict], workdir: Path, overrides: list[str],
               jobs: int = 1) -> tuple[Timing, Timing, dict[str, str], str]:
    """(engine timing, whole-command timing, bodies by page key, summary line).
    The engine's wall time is the crawl's elapsed_time_seconds; the CPU time
    is the whole child process's, start-up included."""
    db = workdir / f"replay-{time.monotonic_ns()}.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    settings = ["LOG_LEVEL=INFO", "PROGRESS_ENABLED=False", *overrides]
    command = [str(SCRAPY), "replay", "-j", str(jobs), *(str(p["path"]) for p in pages),
               *(arg for setting in settings for arg in ("-s", setting))]
    cpu_before, started = children_cpu(), time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu_before
    output = result.stdout + result.stderr
    elapsed = re.search(r"'elapsed_time_seconds': ([0-9.]+)", output)
    if not db.exists() or elapsed is None:
        sys.exit(f"scrapy replay failed (exit {result.returncode}):\n{output[-3000:]}")
    summary = next((line for line in result.stdout.splitlines() if "files read" in line), "")
    return Timing(float(elapsed.group(1)), cpu), Timing(wall, cpu), read_bodies(db, pages), summary


def read_bodies(db: Path, pages: list[dict]) -> dict[str, str]:
    """Stored bodies by page: the row read from the page's file, else the row
    of its address (a page identical to one stored before keeps that row)."""
    import sqlite3

    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT input_ref, url, canonical_url, body FROM articles").fetchall()
    finally:
        connection.close()
    by_file, by_url = {}, {}
    for input_ref, url, canonical, body in rows:
        by_file[Path(input_ref or "").name] = body or ""
        for address in (url, canonical):
            if address:
                by_url[address] = body or ""
    return {p["key"]: by_file.get(p["path"].name, by_url.get(p["url"], "")) for p in pages}


# --- product path without the engine ---------------------------------------------------


def run_in_process(pages: list[dict], workdir: Path) -> tuple[Timing, dict[str, float], dict[str, str]]:
    from scrapy.utils.project import get_project_settings

    from crawler.pages import HTML, read_saved_page
    from pipelines.base import RejectItem, build_normalizers, run_normalizers
    from pipelines.store import StoragePipeline

    os.chdir(REPO)
    settings = get_project_settings()
    normalizers = build_normalizers(settings)
    storage = StoragePipeline(f"sqlite:///{workdir / f'inprocess-{time.monotonic_ns()}.db'}",
                              settings.getint("STORAGE_BATCH_SIZE", 100), _Counts(), spool_dir=workdir / "spool")
    stages = dict.fromkeys(("read", "read_saved_page", "normalize", "store"), 0.0)
    bodies = {}

    async def run() -> None:
        # The pipeline writes its batches in a thread: "store" is queueing, plus the final wait.
        await storage.open_spider()
        for page in pages:
            t0 = time.perf_counter()
            raw = page["path"].read_bytes()
            t1 = time.perf_counter()
            item = read_saved_page(raw, page["path"].as_uri(), HTML)
            t2 = time.perf_counter()
            try:
                item = run_normalizers(normalizers, item)
                bodies[page["key"]] = item.body or ""
            except RejectItem:
                item, bodies[page["key"]] = None, ""
            t3 = time.perf_counter()
            if item is not None:
                storage.process_item(item)
                await asyncio.sleep(0)
            t4 = time.perf_counter()
            for stage, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                stages[stage] += seconds
        t5 = time.perf_counter()
        await storage.close_spider()
        stages["store"] += time.perf_counter() - t5

    with Stopwatch() as watch:
        asyncio.run(run())
    return watch.timing, stages, bodies


class _Counts(Counter):
    """The part of Scrapy's stats collector the storage pipeline uses."""

    def inc_value(self, key, count=1, start=0):
        self[key] += count

    def set_value(self, key, value):
        self[key] = value


# --- report ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=None, help="use the first N pages (default: all)")
    parser.add_argument("--path", type=Path, default=DEFAULT_DATA,
                        help="benchmark data folder (default: ../shared/benchmarks/aeb from the repository)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="repeat the runs R times and keep each one's best time (default 3)")
    parser.add_argument("--warmup-pages", type=int, default=10,
                        help="pages of the short replay whose time is subtracted (default 10)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for the replay runs (repeatable), to compare variants")
    parser.add_argument("-j", "--jobs", type=int, default=2,
                        help="worker processes of the parallel replay compared with bare trafilatura (default 2)")
    parser.add_argument("--captures", type=int, default=3000,
                        help="text captures for the captures/s figure (default 3000; 0: skip it)")
    parser.add_argument("--in-process", action="store_true",
                        help="run read_saved_page, normalizers and storage without Scrapy's engine")
    args = parser.parse_args()

    pages = load_pages(args.path.resolve(), args.pages)
    count, warmup = len(pages), min(args.warmup_pages, len(pages) // 2)
    print(f"{count} pages, {sum(p['path'].stat().st_size for p in pages) / 1e6:.1f} MB gzipped, "
          f"{'in process' if args.in_process else 'scrapy replay'}, best of {args.rounds} round(s)"
          + "".join(f", -s {setting}" for setting in args.set))
    timings: dict[str, list[Timing]] = {}

    def record(name: str, timing: Timing) -> None:
        timings.setdefault(name, []).append(timing)

    with tempfile.TemporaryDirectory(prefix="aeb-bench-") as tmp:
        workdir = Path(tmp)
        for _ in range(args.rounds):
            if args.in_process:
                timing, stages, ours = run_in_process(pages, workdir)
                record("ours", timing)
            else:
                engine, command, ours, summary = run_replay(pages, workdir, args.set)
                short_engine, _, _, _ = run_replay(pages[:warmup], workdir, args.set)
                record("engine", engine)
                record("command", command)
                record("ours", (engine - short_engine).scaled(count / (count - warmup)))
                parallel_engine, parallel, parallel_bodies, parallel_summary = run_replay(
                    pages, workdir, args.set, args.jobs)
                short_parallel, _, _, _ = run_replay(pages[:warmup], workdir, args.set, args.jobs)
                record("parallel", parallel)
                record("parallel_steady", (parallel_engine - short_parallel).scaled(count / (count - warmup)))
                record("bare_process", run_bare_process(pages))
                if args.captures:
                    long_run, short_run = run_captures(workdir, args.captures, args.captures // 10, args.jobs, args.set)
                    record("captures", Timing(long_run, 0.0))
                    record("captures_steady", Timing((long_run - short_run) * args.captures
                                                     / (args.captures - args.captures // 10), 0.0))
            timing, bare = run_bare(pages)
            record("bare", timing)
            timing, extracted = run_extraction(pages)
            record("extraction", timing)

    cpu = {name: count / max(min(t.cpu for t in runs), 1e-9) for name, runs in timings.items()}
    wall = {name: count / min(t.wall for t in runs) for name, runs in timings.items()}
    # Whole processes against each other, median of the rounds (the machine may be loaded).
    median_wall = {name: statistics.median(t.wall for t in runs) for name, runs in timings.items()}

    def line(label: str, name: str, bodies: dict[str, str] | None, with_cpu: bool = True) -> str:
        quality = f"  {scores(pages, bodies)}" if bodies is not None else ""
        cpu_rate = f"{cpu[name]:7.1f}" if with_cpu else f"{'-':>7}"
        return f"{label:<30}{cpu_rate} {wall[name]:7.1f}{quality}"

    print(f"{'pages/s':<30}{'CPU':>7} {'wall':>7}")
    print(line("bare trafilatura", "bare", bare))
    print(line("extract_html alone", "extraction", extracted))
    if args.in_process:
        print(line("ours (in process)", "ours", ours))
        print("  stage ms/page (wall): " + "  ".join(f"{k} {v * 1000 / count:.2f}" for k, v in stages.items()))
    else:
        print(line("ours (scrapy replay, steady)", "ours", ours) + f"  [{summary}]")
        print(line("  with the engine's fixed costs", "engine", None, with_cpu=False))
        print(line("  whole command, start-up too", "command", None))
        print(f"{'whole processes, wall (median)':<30}{'s':>7} {'pages/s':>7}")
        for label, name in (("bare trafilatura, one process", "bare_process"),
                            (f"scrapy replay -j {args.jobs}", "parallel")):
            print(f"{label:<30}{median_wall[name]:7.2f} {count / median_wall[name]:7.1f}")
        print(f"  -j {args.jobs} stored: {scores(pages, parallel_bodies)}  [{parallel_summary}]")
        print(f"scrapy replay -j {args.jobs}, steady (wall)  {wall['parallel_steady']:7.1f} pages/s")
    print(f"extract_html alone / bare:  CPU {cpu['extraction'] / cpu['bare']:.2f}  "
          f"wall {wall['extraction'] / wall['bare']:.2f}")
    print(f"ratio ours/bare:            CPU {cpu['ours'] / cpu['bare']:.2f}  wall {wall['ours'] / wall['bare']:.2f}")
    # Each round's own ratio (both sides ran within a minute of each other), to show the spread;
    # the best times above may come from different rounds.
    per_round = [bare.cpu / ours.cpu for bare, ours in zip(timings["bare"], timings["ours"])]
    print(f"  each round (CPU):           {' '.join(f'{r:.2f}' for r in per_round)}  "
          f"median {statistics.median(per_round):.2f}")
    if not args.in_process:
        print(f"ratio -j {args.jobs} / bare, whole processes: {median_wall['bare_process'] / median_wall['parallel']:.2f}"
              f"  (goal >= 1.8); steady, wall: {wall['parallel_steady'] / wall['bare']:.2f}")
        if args.captures:
            print(f"text captures, -j {args.jobs}: {args.captures / median_wall['captures']:.0f}/s whole command, "
                  f"{args.captures / median_wall['captures_steady']:.0f}/s steady  (goal >= 1000)")


if __name__ == "__main__":
    main()
