"""How frequent each folded word is in written Arabic: wordfreq's list, folded
as the stories fold an article's words.

Importing wordfreq and folding its 620,000 words takes about 0.6 s, once per
process, where a replay of one file takes one second. The folded table is
therefore kept in the user's cache directory (`$XDG_CACHE_HOME`, else
`~/.cache`, under `arabic-news-crawler/`), named after what it is made of:
wordfreq's version, the folding table and the cut-off. Read back it costs
about 0.07 s. A cache that cannot be read or written is rebuilt or skipped:
the table is the same either way.
"""
from __future__ import annotations

import hashlib
import logging
import marshal
import os
from pathlib import Path

logger = logging.getLogger(__name__)

# Words rarer than this are left out (they weigh as much as an unknown word).
RAREST = 1e-7


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "arabic-news-crawler"


def _cache_path() -> Path:
    from importlib.metadata import version

    from pipelines.arabic import FOLD_TABLE

    key = hashlib.sha256(repr((version("wordfreq"), FOLD_TABLE, RAREST)).encode()).hexdigest()[:16]
    return cache_dir() / f"arabic-word-frequencies-{key}.marshal"


def build() -> dict[str, float]:
    """The table from wordfreq itself: each folded word's frequency, its
    spellings' frequencies added up."""
    from wordfreq import get_frequency_dict

    from pipelines.arabic import fold_letters

    folded: dict[str, float] = {}
    for word, frequency in get_frequency_dict("ar", "best").items():  # most frequent first
        if frequency < RAREST:
            break
        word = fold_letters(word)
        folded[word] = folded.get(word, 0.0) + frequency
    return folded


def load() -> dict[str, float]:
    path = _cache_path()
    try:
        table = marshal.loads(path.read_bytes())
        if isinstance(table, dict) and table:
            return table
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError, TypeError) as error:
        logger.debug("Rebuilding the word frequency cache %s: %s", path, error)
    table = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps(table))
        os.replace(partial, path)  # whole or absent, for processes reading it meanwhile
    except OSError as error:
        logger.debug("Word frequency cache not written (%s): %s", path, error)
    return table
