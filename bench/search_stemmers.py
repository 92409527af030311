"""Recall and precision of Arabic stemmers on the judged query set
(tests/fixtures/search/judged.json: queries a reader types, with the seed and
fixture-site articles the reader expects).

    .venv/bin/python bench/search_stemmers.py [--postgres URL]

The articles are replayed from seeds/ and tests/sites/*/articles into a
temporary SQLite file. An article matches a query when it holds every term of
the query (title, subtitle, tags, body and captions, folded with
pipelines.arabic.fold_for_search, then stemmed). Stemmers: none (folding
only), light10 (crawler.search.terms, the one the index uses), light10 with the
single-letter proclitics ب ل ك ف stripped too, Snowball's Arabic stemmer
through snowballstemmer and PyStemmer (if installed), and with --postgres
PostgreSQL's `arabic` configuration, on the folded and on the display text.
"""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.search.terms import stem as light10  # noqa: E402
from pipelines.arabic import fold_for_search  # noqa: E402

JUDGED = REPO / "tests" / "fixtures" / "search" / "judged.json"


def article_key(url: str) -> str:
    """How judged.json names an article: a seed's file name, else host/number or slug."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return parts.path.rsplit("/", 1)[-1]
    number = re.search(r"/(\d{5,})", parts.path)
    return f"{parts.hostname}/{number.group(1) if number else parts.path.rstrip('/').rsplit('/', 1)[-1]}"


def replayed_articles() -> dict[str, str]:
    """Article key -> its searchable text, from a replay of the seeds and fixture articles."""
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "news.db"
        paths = ["seeds", *sorted(str(p.relative_to(REPO)) for p in (REPO / "tests" / "sites").glob("*/articles"))]
        subprocess.run([str(Path(sys.executable).with_name("scrapy")), "replay", *paths],
                       cwd=REPO, env={"DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin"},
                       check=True, capture_output=True)
        with sqlite3.connect(database) as connection:
            rows = connection.execute("SELECT url, title, subtitle, tags, body, captions FROM articles").fetchall()
    return {article_key(url): "\n".join(part or "" for part in parts) for url, *parts in rows}


def light10_proclitics(word: str) -> str:
    """light10, plus one of ب ل ك ف off a word that keeps three letters after it."""
    if len(word) >= 5 and word[0] in "بلكف" and not word.startswith("ال"):
        word = word[1:]
    return light10(word)


def python_stemmers() -> dict:
    stemmers = {"none (folding only)": lambda word: word, "light10": light10,
                "light10 + ب ل ك ف": light10_proclitics}
    try:
        import snowballstemmer
        stemmers["Snowball (snowballstemmer)"] = snowballstemmer.stemmer("arabic").stemWord
    except ImportError:
        print("snowballstemmer not installed: skipped", file=sys.stderr)
    try:
        import Stemmer
        stemmers["Snowball (PyStemmer)"] = Stemmer.Stemmer("arabic").stemWord
    except ImportError:
        print("PyStemmer not installed: skipped", file=sys.stderr)
    return stemmers


def term_sets(texts: dict[str, str], stem) -> dict[str, set[str]]:
    return {key: {stem(word) for word in fold_for_search(text).split()} for key, text in texts.items()}


def postgres_term_sets(url: str, texts: dict[str, str], folded: bool) -> dict[str, set[str]]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        result = {}
        for key, text in texts.items():
            row = connection.execute(
                "SELECT coalesce(array_agg(lexeme), '{}') FROM unnest(to_tsvector('arabic', %s))",
                (fold_for_search(text) if folded else text,)).fetchone()
            result[key] = set(row[0])
        return result


def score(judged: list[dict], documents: dict[str, set[str]], queries: dict[str, set[str]]) -> dict:
    precisions, recalls, misses, extras = [], [], [], []
    for entry in judged:
        expected = set(entry["relevant"])
        terms = queries[entry["query"]]
        found = {key for key, held in documents.items() if terms and terms <= held}
        hits = len(found & expected)
        precisions.append(hits / len(found) if found else 0.0)
        recalls.append(hits / len(expected))
        misses.append(len(expected - found))
        extras.append(len(found - expected))
    precision, recall = sum(precisions) / len(judged), sum(recalls) / len(judged)
    return {"precision": precision, "recall": recall, "f1": 2 * precision * recall / (precision + recall or 1),
            "missed": sum(misses), "extra": sum(extras)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database, for its `arabic` configuration")
    options = parser.parse_args()
    judged = json.loads(JUDGED.read_text())["queries"]
    texts = replayed_articles()
    unknown = {key for entry in judged for key in entry["relevant"]} - texts.keys()
    if unknown:
        sys.exit(f"judged articles not in the replay: {sorted(unknown)}")
    queries = {entry["query"]: entry["query"] for entry in judged}
    results = {}
    for name, stem in python_stemmers().items():
        results[name] = score(judged, term_sets(texts, stem), term_sets(queries, stem))
    if options.postgres:
        for folded in (True, False):
            name = f"PostgreSQL arabic ({'folded' if folded else 'display'} text)"
            results[name] = score(judged, postgres_term_sets(options.postgres, texts, folded),
                                  postgres_term_sets(options.postgres, queries, folded))
    print(f"{len(judged)} queries, {len(texts)} articles; macro-averaged over the queries")
    print(f"{'stemmer':36} {'precision':>9} {'recall':>7} {'F1':>6} {'missed':>7} {'extra':>6}")
    for name, figures in results.items():
        print(f"{name:36} {figures['precision']:9.3f} {figures['recall']:7.3f} {figures['f1']:6.3f} "
              f"{figures['missed']:7d} {figures['extra']:6d}")


if __name__ == "__main__":
    main()
