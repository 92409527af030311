"""The search functions installed in the databases (migration 0007), so a
query typed by hand in psql or sqlite3 is folded and stemmed as
crawler/search/terms.py does it in Python. Generated from the same folding
(pipelines.arabic.fold_letters) and the same light10 rules, and checked
against them word for word by the tests.

PostgreSQL: `fold_ar(text)` (the search form), `ar_stem(word)` (light10),
`arabic_query(text) -> tsquery` (words ANDed, "phrases", -exclusions) and the
text search configuration `news_search` the stored `articles.search_tsv`
is built with.

SQLite: the stock sqlite3 shell cannot load Python functions, so the folding
and stemming are views: `search_query_words` (an fts3tokenize table) splits a
query at spaces and ASCII punctuation, each layer of `search_query` folds or
strips one affix (a GROUP BY per layer computes each word once), and
`search` joins the result to the FTS5 index: `SELECT ... FROM search WHERE
query = 'الصّين'`.
"""
from __future__ import annotations

import string

from crawler.search.terms import CONJUNCTION, DEFINITE_ARTICLES, MIN_STEM, SUFFIXES
from pipelines.arabic import fold_letters

# bm25 weights of the FTS5 columns, and the PostgreSQL weights of the same fields.
FIELDS = ("title", "subtitle", "tags", "body")
BM25_WEIGHTS = (10.0, 4.0, 2.0, 1.0)
# bm25()'s weights of every FTS5 column: the outlet and time first, unindexed.
BM25_ARGUMENTS = ", ".join(str(w) for w in (0, 0, *BM25_WEIGHTS))
TSV_WEIGHTS = ("A", "B", "C", "D")

# What the search form turns into spaces beyond ASCII punctuation (a non-word
# character for Python's `\W`): the punctuation Arabic text uses.
ARABIC_PUNCTUATION = "«»،؛؟٪٫٬…–—‘’“”•·\u00a0\u200b\u200c\u200d\u200e\u200f"


def letter_folds() -> dict[str, str]:
    """Each character `fold_letters` changes, with what it becomes ('' for marks and tatweel)."""
    folds = {}
    for code in range(0x0600, 0x0700):
        folded = fold_letters(chr(code))
        if folded != chr(code):
            folds[chr(code)] = folded
    return folds


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- PostgreSQL -------------------------------------------------------------


def postgresql_functions() -> list[str]:
    folds = letter_folds()
    mapped = "".join(c for c, f in folds.items() if f)
    spaces = string.punctuation + ARABIC_PUNCTUATION
    # translate(): characters past the end of the target string are deleted.
    source = mapped + spaces + "".join(c for c, f in folds.items() if not f)
    target = "".join(folds[c] for c in mapped) + " " * len(spaces)
    articles = ", ".join(_sql_string(a) for a in DEFINITE_ARTICLES)
    suffixes = ", ".join(_sql_string(s) for s in SUFFIXES)
    return [
        "CREATE TEXT SEARCH CONFIGURATION news_search (COPY = simple)",
        f"""CREATE FUNCTION fold_ar(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT btrim(regexp_replace(lower(translate(value, {_sql_string(source)}, {_sql_string(target)})), '\\s+', ' ', 'g'))
$$""",
        f"""CREATE FUNCTION ar_stem(word text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  affix text;
BEGIN
  IF length(word) >= 4 AND left(word, 1) = {_sql_string(CONJUNCTION)} THEN
    word := substr(word, 2);
  END IF;
  FOREACH affix IN ARRAY ARRAY[{articles}] LOOP
    IF left(word, length(affix)) = affix AND length(word) - length(affix) >= {MIN_STEM} THEN
      word := substr(word, length(affix) + 1);
      EXIT;
    END IF;
  END LOOP;
  FOREACH affix IN ARRAY ARRAY[{suffixes}] LOOP
    IF right(word, length(affix)) = affix AND length(word) - length(affix) >= {MIN_STEM} THEN
      word := left(word, length(word) - length(affix));
    END IF;
  END LOOP;
  RETURN word;
END
$$""",
        # The terms of a text, in order, as the index holds them.
        """CREATE FUNCTION ar_terms(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(ar_stem(word), ' ' ORDER BY position), '')
  FROM regexp_split_to_table(fold_ar(value), ' ') WITH ORDINALITY AS words(word, position)
  WHERE word <> ''
$$""",
        # Words ANDed, "a phrase" as adjacent terms, -word or -"a phrase" excluded.
        """CREATE FUNCTION arabic_query(query text) RETURNS tsquery
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  part text[];
  terms text;
  wanted text[] := '{}';
  excluded text[] := '{}';
BEGIN
  FOR part IN SELECT regexp_matches(query, '(-?)(?:"([^"]*)"?|([^\\s"]+))', 'g') LOOP
    SELECT string_agg(quote_literal(term), ' <-> ' ORDER BY position) INTO terms
    FROM regexp_split_to_table(ar_terms(coalesce(part[2], part[3])), ' ') WITH ORDINALITY AS t(term, position)
    WHERE term <> '';
    CONTINUE WHEN terms IS NULL;
    IF part[1] = '-' THEN
      excluded := excluded || ('!(' || terms || ')');
    ELSE
      wanted := wanted || ('(' || terms || ')');
    END IF;
  END LOOP;
  IF cardinality(wanted) = 0 THEN
    RETURN ''::tsquery;
  END IF;
  RETURN array_to_string(wanted || excluded, ' & ')::tsquery;
END
$$""",
    ]


def postgresql_drop() -> list[str]:
    return [
        "DROP FUNCTION IF EXISTS arabic_query(text)",
        "DROP FUNCTION IF EXISTS ar_terms(text)",
        "DROP FUNCTION IF EXISTS ar_stem(text)",
        "DROP FUNCTION IF EXISTS fold_ar(text)",
        "DROP TEXT SEARCH CONFIGURATION IF EXISTS news_search",
    ]


# --- SQLite -----------------------------------------------------------------


# replace() calls nested in one step: SQLite's parser holds about a hundred levels.
FOLDS_PER_STEP = 20


def sqlite_stem_steps() -> list[str]:
    """The steps that take a query word `v` to its term: the folding a few
    characters at a time, the conjunction, the definite article, then each
    suffix (crawler/search/terms.py)."""
    replacements = [*letter_folds().items(), *((c, "") for c in ARABIC_PUNCTUATION)]
    steps = []
    for start in range(0, len(replacements), FOLDS_PER_STEP):
        folded = "v"
        for character, replacement in replacements[start:start + FOLDS_PER_STEP]:
            folded = f"replace({folded}, {_sql_string(character)}, {_sql_string(replacement)})"
        steps.append(folded)
    steps.append(f"CASE WHEN length(v) >= 4 AND substr(v, 1, 1) = {_sql_string(CONJUNCTION)} "
                 "THEN substr(v, 2) ELSE v END")
    cases = " ".join(
        f"WHEN substr(v, 1, {len(a)}) = {_sql_string(a)} AND length(v) - {len(a)} >= {MIN_STEM} "
        f"THEN substr(v, {len(a) + 1})" for a in DEFINITE_ARTICLES)
    steps.append(f"CASE {cases} ELSE v END")
    for suffix in SUFFIXES:
        steps.append(f"CASE WHEN substr(v, -{len(suffix)}) = {_sql_string(suffix)} "
                     f"AND length(v) - {len(suffix)} >= {MIN_STEM} "
                     f"THEN substr(v, 1, length(v) - {len(suffix)}) ELSE v END")
    return steps


def sqlite_term_expression(word: str) -> str:
    """The term of `word` as one scalar subquery: a recursive CTE takes it
    through the steps, one row per step, so no step's expression is copied
    into the next (nested views would be, by SQLite's flattening)."""
    steps = sqlite_stem_steps()
    cases = " ".join(f"WHEN {n} THEN {step}" for n, step in enumerate(steps))
    return (f"(WITH RECURSIVE step(n, v) AS (SELECT 0, {word} UNION ALL "
            f"SELECT n + 1, CASE n {cases} END FROM step WHERE n < {len(steps)}) "
            f"SELECT v FROM step WHERE n = {len(steps)})")


def sqlite_statements() -> list[str]:
    return [
        # Outlet and time first, unindexed: ranking and filters read them before the terms.
        f"CREATE VIRTUAL TABLE article_search USING fts5(outlet UNINDEXED, published_at UNINDEXED, "
        f"{', '.join(FIELDS)}, tokenize = 'unicode61')",
        # A row deleted by hand leaves the index with it (the store keeps it current otherwise).
        "CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN "
        "DELETE FROM article_search WHERE rowid = old.id; END",
        # `simple` splits at ASCII spaces and punctuation only, so a word keeps
        # its diacritics and tatweel for the steps to drop.
        "CREATE VIRTUAL TABLE search_query_words USING fts3tokenize(simple)",
        f"CREATE VIEW search_query_terms(query, position, term) AS SELECT input, position, "
        f"{sqlite_term_expression('token')} FROM search_query_words",
        # The FTS5 query of a query as typed: its terms, each quoted, ANDed.
        "CREATE VIEW search_query(query, terms) AS SELECT query, group_concat('\"' || term || '\"', ' ') "
        "FROM search_query_terms WHERE term <> '' GROUP BY query",
        "CREATE VIEW search AS SELECT q.query AS query, a.id AS id, a.published_at AS published_at, "
        "a.outlet AS outlet, a.title AS title, a.url AS url, "
        f"bm25(article_search, {BM25_ARGUMENTS}) AS rank "
        "FROM search_query AS q JOIN article_search ON article_search MATCH q.terms "
        "JOIN articles AS a ON a.id = article_search.rowid",
    ]


def sqlite_drop() -> list[str]:
    return [
        "DROP VIEW IF EXISTS search",
        "DROP VIEW IF EXISTS search_query",
        "DROP VIEW IF EXISTS search_query_terms",
        "DROP TABLE IF EXISTS search_query_words",
        "DROP TRIGGER IF EXISTS article_search_delete",
        "DROP TABLE IF EXISTS article_search",
    ]
