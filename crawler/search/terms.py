"""Search terms: the words both databases index and match, folded
(`pipelines.arabic.fold_for_search`) and lightly stemmed.

The stemmer is Larkey, Ballesteros and Connell's light10 ("Light Stemming for
Arabic Information Retrieval", 2007), on folded letters: a leading `و` off a
word of four letters or more, then the first of the definite articles `ال`,
`وال`, `بال`, `كال`, `فال`, `لل` that leaves two letters, then each of the
suffixes `ها ان ات ون ين يه ه ي` in turn (`ية` and `ة` are `يه` and `ه` once
folded) that leaves two. So `الصين`, `بالصين`, `والصين` and `للصين` are `صين`.
It was chosen over Snowball's Arabic stemmer (PostgreSQL's `arabic`
configuration, snowballstemmer, PyStemmer) by recall and precision on a judged
query set: see bench/search_stemmers.py and BENCHMARKS.md. The same rules are
installed as SQL (crawler/search/sql.py) so queries typed in psql or sqlite3
meet the same terms.
"""
from __future__ import annotations

from functools import lru_cache

from pipelines.arabic import fold_for_search

CONJUNCTION = "و"
# The first that leaves two letters goes (no word starts with two of them).
DEFINITE_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
# Letters a stem keeps at least.
MIN_STEM = 2


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """light10 stem of a folded word (`fold_for_search` output, one word)."""
    if len(word) >= 4 and word[0] == CONJUNCTION:
        word = word[1:]
    for article in DEFINITE_ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= MIN_STEM:
            word = word[len(article):]
            break
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            word = word[:-len(suffix)]
    return word


def folded_terms(folded: str) -> list[str]:
    """The terms of a text already in search form, in order."""
    return [stem(word) for word in folded.split()]


def terms(text: str | None) -> list[str]:
    """The terms of a display text, in order."""
    return folded_terms(fold_for_search(text))


def index_text(text: str | None) -> str:
    """A field as the index holds it: its terms joined by spaces."""
    return " ".join(terms(text))
