"""A search query as a reader types it: words (all required), "a phrase"
(its words in that order), and -word or -"a phrase" (excluded). Each word
becomes its terms (crawler/search/terms.py), as the SQL function
`arabic_query` and the sqlite3 `search` view do it in the databases."""
from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.search.terms import terms

# The same pattern as arabic_query() in crawler/search/sql.py: an optional
# minus, then a quoted phrase (the closing quote may be missing) or a word.
QUERY_PART = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')


@dataclass(frozen=True)
class Query:
    # Each a sequence of terms that must follow each other (one word may fold to several).
    wanted: tuple[tuple[str, ...], ...]
    excluded: tuple[tuple[str, ...], ...]

    def __bool__(self) -> bool:
        return bool(self.wanted)

    def terms(self) -> set[str]:
        return {term for phrase in self.wanted for term in phrase}


def parse_query(text: str) -> Query:
    wanted, excluded = [], []
    for match in QUERY_PART.finditer(text or ""):
        minus, phrase, word = match.groups()
        phrase_terms = tuple(term for term in terms(phrase if phrase is not None else word) if term)
        if phrase_terms:
            (excluded if minus else wanted).append(phrase_terms)
    return Query(tuple(wanted), tuple(excluded))


def fts5_match(query: Query) -> str:
    """The FTS5 MATCH expression (terms hold only letters and digits, so quoting them is enough)."""
    wanted = " AND ".join(f'"{" ".join(phrase)}"' for phrase in query.wanted)
    if not query.excluded:
        return wanted
    return f"({wanted}) NOT ({' OR '.join(chr(34) + ' '.join(p) + chr(34) for p in query.excluded)})"


def tsquery(query: Query) -> str:
    """The tsquery text for PostgreSQL (terms as quoted lexemes, phrases with <->)."""
    def phrase(terms_: tuple[str, ...]) -> str:
        return "(" + " <-> ".join("'" + term.replace("'", "''") + "'" for term in terms_) + ")"

    return " & ".join([*(phrase(p) for p in query.wanted), *("!" + phrase(p) for p in query.excluded)])
