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
the ratio. What a process pays once (the word-frequency list, numpy and the
MinHash permutations) is timed apart.

Scale (--stored N, default 0 and 100000): the cost of storing 1,000 new
articles (10 batches of 100, dated within two days, as a day's crawl) into a database that
holds N articles already, 300 a day before the newest (rows written
directly: 25 terms each, drawn from the new articles' own key terms and from
names of their own, in stories of 5), against an empty database in the same
run. The articles of the event window are as many whatever N is (beyond
2,100): what grows is the history outside it.

Usage (from the repository root):
  .venv/bin/python bench/stories.py [--copies N] [--stored N ...] [-v]
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

from crawler.stories.assign import KEY_TERM_WEIGHT, KEY_TERMS  # noqa: E402
from crawler.stories.features import Profile, _frequencies, bands  # noqa: E402
from db.session import prepare_database  # noqa: E402
from db.store import ArticleStore  # noqa: E402
from tests.story_set import items, load_set, pair_score, story_of_url  # noqa: E402

BATCH = 100
STORED_PER_DAY = 300


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
    # Once per process (timed apart in main): the word frequencies, numpy.
    _frequencies()
    bands({b"a b c"})
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


def fill(db: Path, count: int, key_terms: list[str], newest) -> None:
    """`count` stored articles, STORED_PER_DAY a day up to `newest`, with
    their stories and terms, written directly (sqlite3)."""
    import sqlite3

    rng = random.Random(5)
    own = [f"اسم{number}" for number in range(5000)]
    stamp = "%Y-%m-%d %H:%M:%S.%f"
    connection = sqlite3.connect(db)
    connection.executemany("INSERT INTO stories (id, title, created_at, updated_at) VALUES (?, 't', ?, ?)",
                           [(story, newest.strftime(stamp), newest.strftime(stamp))
                            for story in range(1, count // 5 + 2)])
    articles, terms = [], []
    for number in range(1, count + 1):
        when = (newest - timedelta(days=(count - number) / STORED_PER_DAY)).strftime(stamp)
        articles.append((number, f"https://stored.example/{number}", f"stored.example/{number}", "t", "b", when,
                         when, when, 1, number // 5 + 1))
        for term in {*rng.sample(key_terms, 5), *rng.sample(own, 20)}:
            terms.append((number, term, 1.5, 1.5, when))
    connection.executemany("INSERT INTO articles (id, url, url_key, title, body, published_at, first_seen_at, "
                           "last_seen_at, version, story_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", articles)
    connection.executemany("INSERT INTO story_terms (article_id, term, lead_weight, text_weight, published_at) "
                           "VALUES (?, ?, ?, ?, ?)", terms)
    connection.commit()
    connection.close()


def scale(articles, stored_counts: list[int], folder: Path) -> None:
    corpus = list(copies(articles, 40))[:1000]
    dated = [item for item in corpus if item.published_at is not None]
    newest = max(item.published_at for item in dated)
    for item in dated:  # all within the two days before the newest
        item.published_at = newest - timedelta(days=(newest - item.published_at).days % 2)
    key_terms = sorted({term for item in corpus for term in Profile.of(
        item.title, item.subtitle, item.body, "\n".join(item.captions)).key_terms(KEY_TERMS, KEY_TERM_WEIGHT)})
    print(f"store cost at scale: {len(corpus)} new articles in batches of {BATCH} (SQLite, CPU time)")
    anchor = None
    for count in stored_counts:
        db = folder / f"scale-{count}.db"
        prepare_database(f"sqlite:///{db}").dispose()
        fill(db, count, key_terms, newest)
        engine = prepare_database(f"sqlite:///{db}")
        store = ArticleStore(engine)
        started = time.process_time()
        for start in range(0, len(corpus), BATCH):
            store.write_articles([dataclasses.replace(item) for item in corpus[start:start + BATCH]])
        seconds = time.process_time() - started
        engine.dispose()
        anchor = anchor or seconds
        print(f"  {count:>9,} stored before  {seconds * 1000 / len(corpus):6.2f} ms an article  "
              f"({seconds / anchor:.2f}x the first)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40, help="copies of the set for the cost (default 40)")
    parser.add_argument("--stored", type=int, nargs="+", default=[0, 100_000],
                        help="articles stored before, for the scale figure (default 0 100000)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the wrong pairs")
    args = parser.parse_args()
    entries = load_set()
    articles = items(entries)
    started = time.perf_counter()
    _frequencies()
    loaded = time.perf_counter()
    bands({b"a b c"})
    print(f"once per process: word frequencies read in {loaded - started:.2f} s, "
          f"numpy and the permutations in {time.perf_counter() - loaded:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        quality(entries, articles, Path(folder), args.verbose)
        cost(articles, args.copies, Path(folder))
        scale(articles, args.stored, Path(folder))


if __name__ == "__main__":
    main()
