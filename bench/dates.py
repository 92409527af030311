#!/usr/bin/env python3
"""Publication dates on real labelled pages, next to htmldate in the same run.

Replays ../shared/benchmarks/dates (779 real web pages, html/*.html.gz, with
their labelled publication day in ground-truth.json) through the product
path, `scrapy replay` into a fresh SQLite file, and reads `published_at`
back. In the same run htmldate (`find_date(html, original_date=True)`, fast
and extensive mode) reads the same pages. A stored instant is right when it
falls within the labelled day in some time zone (UTC-12 .. UTC+14), wrong
otherwise, none when no date is stored or the page is not stored; htmldate's
day is right when it equals the label. Printed: right / wrong / none,
precision = right / (right + wrong), accuracy = right / pages.

Usage (from the repository root):
  .venv/bin/python bench/dates.py [--path DIR] [--pages N] [--in-process] [--show wrong|none]

--in-process reads the pages with read_saved_page and the normalizer chain
instead of the scrapy replay subprocess (same code, faster to iterate).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "dates"
SCRAPY = Path(sys.executable).with_name("scrapy")
UTC = timezone.utc

sys.path.insert(0, str(REPO))


def judge_instant(value: datetime | None, day: str) -> str:
    if value is None:
        return "none"
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    return "right" if start - timedelta(hours=14) <= value < start + timedelta(days=1, hours=12) else "wrong"


def judge_day(value: str | None, day: str) -> str:
    return "none" if not value else ("right" if value == day else "wrong")


def replay(files: list[Path], workdir: Path) -> dict[str, datetime | None]:
    """`scrapy replay` of the files into a fresh SQLite file: published_at by file name."""
    pages = workdir / "pages"
    pages.mkdir()
    for file in files:
        (pages / file.name).symlink_to(file)
    database = workdir / "dates.db"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{database}")
    subprocess.run([str(SCRAPY), "replay", str(pages), "-s", "PROGRESS_ENABLED=False"], cwd=REPO, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    stored = {}
    with sqlite3.connect(database) as db:
        for input_ref, published in db.execute("SELECT input_ref, published_at FROM articles"):
            stored[Path(input_ref.removeprefix("file://")).name] = (
                datetime.fromisoformat(published) if published else None)
    return stored


def in_process(files: list[Path]) -> dict[str, datetime | None]:
    from scrapy.settings import Settings

    from crawler import settings as project_settings
    from crawler.inputs import UnreadableInput
    from crawler.pages import HTML, NotAnArticle, read_saved_page
    from pipelines.base import RejectItem, build_normalizers, run_normalizers

    settings = Settings()
    settings.setmodule(project_settings)
    normalizers = build_normalizers(settings)
    stored = {}
    for file in files:
        try:
            item = run_normalizers(normalizers, read_saved_page(file.read_bytes(), file.as_uri(), HTML, articles_only=True))
        except (UnreadableInput, NotAnArticle, RejectItem):
            continue
        stored[file.name] = item.published_at
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--pages", type=int, default=0, help="only the first N pages")
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--show", choices=("wrong", "none"), help="list our pages of that verdict")
    args = parser.parse_args()

    import htmldate

    labels = json.loads((args.path / "ground-truth.json").read_text())
    names = sorted(labels)[: args.pages or None]
    files = [args.path / "html" / name for name in names]
    if args.in_process:
        ours = in_process(files)
    else:
        with tempfile.TemporaryDirectory() as workdir:
            ours = replay(files, Path(workdir))

    verdicts: dict[str, dict[str, str]] = {"ours": {}, "htmldate fast": {}, "htmldate extensive": {}}
    for name, file in zip(names, files):
        day = labels[name]["date"]
        verdicts["ours"][name] = judge_instant(ours.get(name), day)
        html = gzip.decompress(file.read_bytes()).decode("utf-8", "replace")
        for label, extensive in (("htmldate fast", False), ("htmldate extensive", True)):
            try:
                found = htmldate.find_date(html, original_date=True, extensive_search=extensive)
            except Exception:  # a crash of the baseline is a page without its date
                found = None
            verdicts[label][name] = judge_day(found, day)

    print(f"{len(names)} pages, {'in process' if args.in_process else 'scrapy replay'}")
    print(f"{'':20} {'right':>6} {'wrong':>6} {'none':>6} {'precision':>10} {'accuracy':>9}")
    for label, by_page in verdicts.items():
        right, wrong = (sum(v == kind for v in by_page.values()) for kind in ("right", "wrong"))
        none = len(names) - right - wrong
        precision = right / (right + wrong) if right + wrong else 0.0
        print(f"{label:20} {right:6} {wrong:6} {none:6} {precision:10.3f} {right / len(names):9.3f}")
    if args.show:
        for name, verdict in verdicts["ours"].items():
            if verdict == args.show:
                print(args.show, name, labels[name]["date"], ours.get(name), labels[name]["url"])


if __name__ == "__main__":
    main()
