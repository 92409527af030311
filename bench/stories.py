#!/usr/bin/env python3
"""Stories: pairwise precision and recall on the labelled set, and what story
assignment costs the store.

Quality: the articles of tests/fixtures/stories/articles.json are stored
(normalizer chain, ArticleStore, a fresh SQLite file each time) in several
arrival orders: one batch; one article per batch in the order of publication
(a crawl's), in the file's order, and shuffled (3 seeds). Every pair of
articles counts: same event (the label) against same story. Goal: precision
>= 0.95, recall >= 0.90.

Cost: the set copied --copies times, each copy with words of its own (every
word marked with the copy's number) and dates moved by 3 days a copy, is
stored in batches of 100 with stories and, in the same run, without
(ArticleStore(stories=None)): articles per second of CPU time of both, and
the ratio. What a process pays once (the word-frequency list, datasketch's
import) is timed apart.

Usage (from the repository root):
  .venv/bin/python bench/stories.py [--copies N] [-v]
"""
from __future__ import annotations

import argparse
import dataclasses
import random
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.stories.features import _frequencies, bands  # noqa: E402
from db.session import prepare_database  # noqa: E402
from db.store import ArticleStore  # noqa: E402
from tests.story_set import items, load_set, pair_score, story_of_url  # noqa: E402

BATCH = 100


def arrival_orders(articles) -> dict[str, list[int] | None]:
    keys, last = [], None
    for index, item in enumerate(articles):
        last = item.published_at or last
        keys.append((last, index))
    orders = {"one batch": None, "by publication": [i for _, i in sorted(keys)],
              "file order": list(range(len(articles)))}
    for seed in (1, 2, 3):
        shuffled = list(range(len(articles)))
        random.Random(seed).shuffle(shuffled)
        orders[f"shuffled ({seed})"] = shuffled
    return orders


def quality(entries, articles, folder: Path, verbose: bool) -> None:
    print(f"labelled set: {len(entries)} articles, {len({e['event'] for e in entries})} events")
    for name, order in arrival_orders(articles).items():
        engine = prepare_database(f"sqlite:///{folder / (name.replace(' ', '_') + '.db')}")
        store = ArticleStore(engine)
        if order is None:
            store.write_articles([dataclasses.replace(item) for item in articles])
        else:
            for index in order:
                store.write_articles([dataclasses.replace(articles[index])])
        score = pair_score(entries, story_of_url(engine))
        print(f"  {name:<16} {score.line()}")
        if verbose:
            for a, b in score.false_pairs:
                print(f"      not one event: {a}  {b}")
            for a, b in score.missed_pairs:
                print(f"      missed:        {a}  {b}")
        engine.dispose()


LETTERS = "بتثجحخدذرزسشصضطظعغفقكلمنهوي"


def mangle(text: str | None, copy: int) -> str | None:
    """Every word of the text with the letters of the copy's number appended:
    a text, and names, of its own for each copy, as distinct events have."""
    if not text or not copy:
        return text
    mark = ""
    while copy:
        copy, digit = divmod(copy, len(LETTERS))
        mark += LETTERS[digit]
    return re.sub(r"\w+", lambda word: word.group() + mark, text)


def copies(articles, count: int):
    for copy in range(count):
        for item in articles:
            moved = dataclasses.replace(item, url=f"{item.url}?copy={copy}", input_ref=f"{item.input_ref}#{copy}",
                                        title=mangle(item.title, copy), body=mangle(item.body, copy),
                                        captions=[mangle(c, copy) for c in item.captions])
            moved.content_hash = f"{item.content_hash}-{copy}"
            if moved.published_at is not None:
                moved.published_at += timedelta(days=3 * copy)
            yield moved


def cost(articles, count: int, folder: Path) -> None:
    corpus = list(copies(articles, count))
    # Once per process (timed apart in main): the word frequencies, datasketch's import.
    _frequencies()
    bands({"a b c"})
    results = {}
    for label, stories in (("without stories", None), ("with stories", "default")):
        engine = prepare_database(f"sqlite:///{folder / (label.replace(' ', '_') + '-cost.db')}")
        store = ArticleStore(engine) if stories else ArticleStore(engine, stories=None)
        started = time.process_time()
        for start in range(0, len(corpus), BATCH):
            store.write_articles([dataclasses.replace(item) for item in corpus[start:start + BATCH]])
        results[label] = time.process_time() - started
        engine.dispose()
    print(f"store cost: {len(corpus)} articles in batches of {BATCH} (SQLite, CPU time)")
    for label, seconds in results.items():
        print(f"  {label:<16} {len(corpus) / seconds:8.0f} articles/s  ({seconds:.2f} s)")
    print(f"  with / without   {results['with stories'] / results['without stories']:.2f}x the time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40, help="copies of the set for the cost (default 40)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the wrong pairs")
    args = parser.parse_args()
    entries = load_set()
    articles = items(entries)
    started = time.perf_counter()
    _frequencies()
    loaded = time.perf_counter()
    bands({"a b c"})
    print(f"once per process: word frequencies read in {loaded - started:.2f} s, "
          f"datasketch imported in {time.perf_counter() - loaded:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        quality(entries, articles, Path(folder), args.verbose)
        cost(articles, args.copies, Path(folder))


if __name__ == "__main__":
    main()
