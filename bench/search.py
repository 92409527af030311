"""Full-text search against LIKE, on 100,000 synthetic Arabic articles in SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--articles 100000] [--postgres URL] [--keep DIR]

Where the text comes from: the Arabic articles of the repository, the seeds
(seeds/) and the fixture sites' articles (tests/sites/*/articles), read with
the replay's own extraction (a `scrapy replay` into a temporary SQLite file).
Their paragraphs are the frame of every synthetic article: 4 to 10 of them,
shuffled, their punctuation and function words (في, من, على...) as written.
One article in ten is on one of their stories: it keeps each other word with
probability 0.5, and two of their tags. The others keep none: they are about
one of 2,000 topics, each of 50 words of a 100,000-word synthetic lexicon
(halves of real words joined, none a real word once stemmed; a real clitic
prefix one time in three), half of their other words from the topic, half
from the whole lexicon by a Zipf law, and two topic words as tags. So the
archive has many topics and names and a long tail, as a real one has, and
`الصين` is in a tenth of it rather than in every article. Titles are made the
same way; outlets and publication times (2020-2025) are drawn at random. The
articles are inserted directly and indexed with crawler/search/index.py
(terms computed once per distinct word with crawler/search/terms.py, as the
store computes them per field).

Timed: `crawler.search.search()` (the ranked query, 20 results, their rows
and snippets) for 20 queries (single words common and rare, two words, a
phrase, an exclusion), the median of 5 runs each after a warm-up; and in the
same run the query the README gave before the index, `search_text LIKE
'%word%'` for each folded word (NOT LIKE for an exclusion), newest first,
once each. Prints p50 and p95 of both per database and the ratio.
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, insert, select, text  # noqa: E402

from crawler.search import search  # noqa: E402
from crawler.search.index import write_index  # noqa: E402
from crawler.search.results import match_clause  # noqa: E402
from db.session import reading_engine  # noqa: E402
from crawler.search.terms import stem  # noqa: E402
from db.models import Article  # noqa: E402
from db.session import prepare_database  # noqa: E402
from pipelines.arabic import fold_for_search  # noqa: E402

OUTLETS = ("24ae", "aawsat", "khaberain", "thenewkhalij")
LEXICON = 100_000
REAL_STORY = 0.1
KEEP_IN_STORY, KEEP_ELSEWHERE = 0.5, 0.0
TOPICS, TOPIC_WORDS = 2000, 50
CLITICS = ("و", "ب", "ال", "وال", "بال", "لل")
BATCH = 2000
RUNS = 5


def real_texts() -> tuple[list[str], list[str], list[str]]:
    """Paragraphs, titles and tags of the seeds and fixture articles, as the replay stores them."""
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "news.db"
        paths = ["seeds", *sorted(str(p.relative_to(REPO)) for p in (REPO / "tests" / "sites").glob("*/articles"))]
        subprocess.run([str(Path(sys.executable).with_name("scrapy")), "replay", *paths], cwd=REPO,
                       env={"DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin"},
                       check=True, capture_output=True)
        with sqlite3.connect(database) as connection:
            rows = connection.execute("SELECT title, body, tags FROM articles").fetchall()
    paragraphs = [p for _, body, _ in rows for p in (body or "").split("\n\n") if len(p.split()) >= 5]
    titles = [title for title, _, _ in rows if title]
    tags = sorted({tag for *_, joined in rows for tag in (joined or "").split("; ") if tag})
    return paragraphs, titles, tags


# Function words, kept as written in every article.
FUNCTION_WORDS = set("""في من على إلى الى عن أن ان إن مع بين هذا هذه ذلك تلك التي الذي الذين كان كانت قد
لم لن لا ما أو او ثم حتى بعد قبل خلال عند كما وقال قال وقالت وفي ومن وعلى وأن أنه إنه أنها إنها فيما
كل بعض غير عبر حول منذ أمس اليوم وقد إلا هو هي هم نحو أي بأن التي وذلك لها له فيه عليه إليه""".split())


def synthetic_lexicon(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Arabic-looking words: the first half of one real word and the second half of another,
    none of them a real word once stemmed."""
    letters = sorted({w for p in paragraphs for w in re.findall("[\u0621-\u064a]{4,}", p)})
    # None of them one of the real words once stemmed, so the real words keep their frequency.
    real = {stem(part) for p in paragraphs for part in fold_for_search(p).split()}
    words: set[str] = set()
    while len(words) < LEXICON:
        a, b = rng.choice(letters), rng.choice(letters)
        word = a[: len(a) // 2] + b[len(b) // 2:]
        if stem(fold_for_search(word)) not in real:
            words.add(word)
    lexicon = sorted(words)
    rng.shuffle(lexicon)
    return lexicon


class Generator:
    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        self.paragraphs, self.titles, self.tags = real_texts()
        self.lexicon = synthetic_lexicon(self.paragraphs, self.rng)
        # Zipf (s = 1.1) over the lexicon, as cumulative weights for random.choices.
        weights = [1 / (rank + 1) ** 1.1 for rank in range(LEXICON)]
        total, cumulative = 0.0, []
        for weight in weights:
            total += weight
            cumulative.append(total)
        self.cumulative = cumulative
        self.topics = [self.rng.choices(self.lexicon, cum_weights=cumulative, k=TOPIC_WORDS) for _ in range(TOPICS)]

    def replace(self, words: list[str], keep: float, topic: list[str]) -> list[str]:
        rng = self.rng
        drawn = iter(rng.choices(self.lexicon, cum_weights=self.cumulative, k=len(words)))
        out = []
        for word in words:
            if word in FUNCTION_WORDS or rng.random() < keep:
                out.append(word)
                continue
            new = rng.choice(topic) if rng.random() < 0.5 else next(drawn)
            out.append(rng.choice(CLITICS) + new if rng.random() < 1 / 3 else new)
        return out

    def article(self, number: int) -> dict:
        rng = self.rng
        keep = KEEP_IN_STORY if rng.random() < REAL_STORY else KEEP_ELSEWHERE
        topic = self.topics[rng.randrange(TOPICS)]
        body = "\n\n".join(" ".join(self.replace(p.split(), keep, topic))
                            for p in rng.sample(self.paragraphs, rng.randint(4, 10)))
        title = " ".join(self.replace(rng.choice(self.titles).split(), keep, topic))
        tags = "; ".join(rng.sample(self.tags, 2) if keep == KEEP_IN_STORY else rng.sample(topic, 2))
        published = datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(6 * 365 * 1440))
        return {"url": f"https://bench.example/{number}", "outlet": rng.choice(OUTLETS), "title": title,
                "subtitle": None, "tags": tags, "body": body, "captions": None, "published_at": published,
                "first_seen_at": published, "last_seen_at": published, "version": 1}


class Terms:
    """Folded and stemmed forms per distinct whitespace-separated word, computed once."""

    def __init__(self):
        self.folded: dict[str, str] = {}

    def fold(self, word: str) -> str:
        if word not in self.folded:
            self.folded[word] = fold_for_search(word)
        return self.folded[word]

    def search_text(self, *texts: str | None) -> str:
        return " ".join(f for t in texts if t for w in t.split() if (f := self.fold(w)))

    def index(self, value: str | None) -> str:
        return " ".join(stem(part) for w in (value or "").split() for part in self.fold(w).split())


def build(url: str, articles: list[dict], terms: Terms) -> None:
    engine = prepare_database(url)
    with engine.begin() as connection:
        for start in range(0, len(articles), BATCH):
            rows = articles[start:start + BATCH]
            ids = connection.execute(insert(Article).returning(Article.id),
                                     [{**row, "search_text": terms.search_text(row["title"], row["body"])}
                                      for row in rows]).scalars().all()
            write_index(connection, [
                {"id": article_id, "outlet": row["outlet"], "published_at": row["published_at"],
                 "title": terms.index(row["title"]), "subtitle": "",
                 "tags": terms.index((row["tags"] or "").replace("; ", " ")), "body": terms.index(row["body"])}
                for article_id, row in zip(ids, rows)
            ])
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE articles"))
    engine.dispose()


def like_query(query: str) -> tuple[str, dict]:
    """The README's search before the index: each folded word a substring of search_text, newest first."""
    conditions, params = [], {}
    for number, (minus, phrase, word) in enumerate(re.findall(r'(-?)(?:"([^"]*)"?|([^\s"]+))', query)):
        folded = fold_for_search(phrase or word)
        params[f"w{number}"] = f"%{folded}%"
        conditions.append(f"search_text {'NOT ' if minus else ''}LIKE :w{number}")
    return (f"SELECT id, outlet, published_at, title FROM articles WHERE {' AND '.join(conditions)} "
            "ORDER BY published_at DESC"), params


def queries(generator: Generator) -> list[str]:
    """Reader queries: real words (common and less so), names of the synthetic lexicon at
    several frequencies, two words, a phrase, an exclusion."""
    lex = generator.lexicon
    return [
        "الصين", "روسيا", "أوكرانيا", "الخارجية", "بوتين", "طالبان", "الدفاع", "موسكو",
        lex[20], lex[60], lex[300], lex[3000], lex[30000],
        "وزير الخارجية", '"وزير الخارجية"', "الصين -روسيا", f"روسيا {lex[100]}", f"{lex[10]} {lex[1000]}",
        "الولايات المتحدة", "كوريا الشمالية",
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(url: str, chosen: list[str]) -> dict:
    engine = reading_engine(url)
    search_times, like_times, found = [], [], []
    with engine.connect() as connection:
        for query in chosen:
            search(engine, query)
            runs = []
            for _ in range(RUNS):
                started = time.perf_counter()
                hits = search(engine, query)
                runs.append(time.perf_counter() - started)
            search_times.append(statistics.median(runs) * 1000)
            statement, params = like_query(query)
            started = time.perf_counter()
            connection.execute(text(statement), params).all()
            like_times.append((time.perf_counter() - started) * 1000)
            matches = count_matches(connection, query)
            found.append((query, len(hits), matches))
    engine.dispose()
    return {"search": search_times, "like": like_times, "found": found}


def count_matches(connection, query: str) -> int:
    """How many articles the query matches (how much the ranking had to sort)."""
    clause = match_clause(connection.dialect.name, query)
    return connection.execute(select(func.count()).select_from(Article).where(clause)).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database (else SQLite only)")
    parser.add_argument("--keep", metavar="DIR", help="write the SQLite file there and keep it")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    options = parser.parse_args()

    started = time.perf_counter()
    generator = Generator()
    articles = [generator.article(n) for n in range(options.articles)]
    words = sum(len(a["body"].split()) for a in articles) / len(articles)
    print(f"{len(articles):,} articles ({words:.0f} words a body) from {len(generator.paragraphs)} paragraphs "
          f"of {len(generator.titles)} seed and fixture articles, in {time.perf_counter() - started:.0f} s")
    folder = Path(options.keep) if options.keep else Path(tempfile.mkdtemp(prefix="bench-search-"))
    folder.mkdir(parents=True, exist_ok=True)
    targets = {} if options.no_sqlite else {"SQLite": f"sqlite:///{folder / 'search.db'}"}
    if options.postgres:
        targets["PostgreSQL"] = options.postgres
    terms = Terms()
    chosen = queries(generator)
    try:
        for name, url in targets.items():
            started = time.perf_counter()
            build(url, articles, terms)
            print(f"{name}: stored and indexed in {time.perf_counter() - started:.0f} s")
            figures = measure(url, chosen)
            for query, hits, matches in figures["found"]:
                print(f"  {query!r:40} {matches:7,} matches")
            s50, s95 = percentile(figures["search"], 0.5), percentile(figures["search"], 0.95)
            l50, l95 = percentile(figures["like"], 0.5), percentile(figures["like"], 0.95)
            print(f"{name}: search() p50 {s50:.1f} ms, p95 {s95:.1f} ms | LIKE p50 {l50:.0f} ms, p95 {l95:.0f} ms "
                  f"| p50 {l50 / s50:.0f}x faster (goal: p50 < 20 ms, >= 20x)")
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
