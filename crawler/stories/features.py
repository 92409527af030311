"""What an article is compared by: folded word shingles for near-duplicates
(MinHash, banded for LSH) and salient terms for the same-event comparison.

Terms are the article's folded words (as pipelines.arabic.fold_for_search) with
the article and the proclitics that hide a word taken off (`والصين`,
`بالصين` → `صين`), each weighted by how rare it is in written Arabic
(wordfreq's frequency list, the same in every process and run): names of
people and places, and the words particular to an event, weigh most; the
words of every article (وزير, قال, اليوم) weigh nothing. The lead (title,
subtitle, first paragraph, captions) names the event, so it is weighted on
its own beside the whole text.
"""
from __future__ import annotations

import functools
import hashlib
import math
import re
import struct
from collections import Counter
from dataclasses import dataclass

from crawler.stories import frequencies
from crawler.search.index import folded_body
from crawler.stories.frequencies import RAREST
from pipelines.arabic import fold_normalized

# The article and the conjunction/preposition glued before it: always a prefix.
ARTICLE_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")
# One-letter proclitics (and, so, with, for, like): taken off only when the rest
# is the more frequent word, so `بكين` and `لافروف` keep their first letter.
PROCLITICS = "وفبلك"
# A term as frequent as 1 word in 10,000 weighs nothing.
COMMON = 1e-4
# Terms kept per article (by weight in the whole text, and in the lead).
TEXT_TERMS = 40
LEAD_TERMS = 20
# A lead paragraph shorter than this is read with the next one.
SHORT_LEAD_WORDS = 25

SHINGLE_WORDS = 3
NUM_PERM = 60
# 20 bands of 3 rows: texts sharing half their shingles meet in a band with a
# chance of 0.93 (0.99 at 0.6), texts sharing a fifth 0.15 (then ruled out by
# their exact Jaccard).
BANDS = 20
ROWS = NUM_PERM // BANDS


@functools.cache
def _frequencies() -> dict[str, float]:
    """Frequency of each folded word in written Arabic (read once per process)."""
    return frequencies.load()


def _stem(word: str, surface: dict[str, float]) -> str:
    for prefix in ARTICLE_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix):]
    for _ in range(2):  # وب, فل
        rest = word[1:]
        if len(word) > 3 and word[0] in PROCLITICS and surface.get(rest, 0.0) > surface.get(word, 0.0):
            word = rest
            if word.startswith("ال") and len(word) > 4:
                return word[2:]
        else:
            break
    return word


@functools.lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """A folded word without its article and proclitics."""
    return _stem(word, _frequencies())


# The forms a stem is written in: its frequency is theirs together.
WRITTEN_FORMS = ("", *ARTICLE_PREFIXES, *PROCLITICS)


@functools.lru_cache(maxsize=200_000)
def rarity(term: str) -> float:
    """The weight of a stem: 0 for common words, up to 3 for the rarest."""
    frequencies = _frequencies()
    frequency = max(sum(frequencies.get(prefix + term, 0.0) for prefix in WRITTEN_FORMS), RAREST)
    return max(0.0, math.log10(COMMON / frequency))


def folded_words(text: str | None) -> list[str]:
    """The words of a stored text in search form (pipelines.arabic.fold_for_search
    without its display normalization, which the stored text has had)."""
    return fold_normalized(text or "").split()


_DIGIT = re.compile(r"\d")


def terms(text: str) -> Counter[str]:
    """Stems of the words of a text (numbers and words with digits left out), with their counts."""
    return Counter(stem(word) for word in folded_words(text) if not _DIGIT.search(word))


def weighs_terms(language: str | None) -> bool:
    """Terms are weighted by their frequency in written Arabic: on a page in
    another language every word would look rare (`the` as rare as a name), so
    each article would be a candidate of all others and match by chance. Such
    pages are grouped as near-duplicates only. No language (text captures)
    is the outlets' Arabic."""
    return not language or language.split("-")[0].lower() == "ar"


def weighted(counts: Counter[str]) -> dict[str, float]:
    vector = {}
    for term, count in counts.items():
        weight = rarity(term)
        if weight > 0:
            vector[term] = (1.0 + math.log(count)) * weight
    return vector


def cosine(a: dict[str, float], b: dict[str, float], norms: float | None = None) -> float:
    """`norms`: the product of the two vectors' lengths, when known."""
    if len(a) > len(b):
        a, b = b, a
    dot = sum(weight * b[term] for term, weight in a.items() if term in b)
    if not dot:
        return 0.0
    return dot / (norms if norms is not None else length(a) * length(b))


def length(vector: dict[str, float]) -> float:
    return math.sqrt(sum(w * w for w in vector.values()))


def split_lead(title: str | None, subtitle: str | None, body: str | None,
               captions: str | None) -> tuple[str, str]:
    """The lead (title, subtitle, first paragraph, or two when the first is
    short, captions) and the rest of the body."""
    paragraphs = [p for p in (body or "").split("\n\n") if p.strip()]
    count = 2 if paragraphs and len(paragraphs[0].split()) < SHORT_LEAD_WORDS else 1
    lead = "\n".join(filter(None, (title, subtitle, *paragraphs[:count], captions)))
    return lead, "\n".join(paragraphs[count:])


@dataclass
class Profile:
    """An article's salient terms: weights in the lead and in the whole text."""

    lead: dict[str, float]
    text: dict[str, float]

    @classmethod
    def of(cls, title: str | None, subtitle: str | None, body: str | None, captions: str | None,
           language: str | None = None) -> Profile:
        if not weighs_terms(language):
            return cls({}, {})
        lead_part, rest = split_lead(title, subtitle, body, captions)
        lead_counts = terms(lead_part)
        lead, text = weighted(lead_counts), weighted(lead_counts + terms(rest))
        kept = set(sorted(text, key=text.get, reverse=True)[:TEXT_TERMS])
        kept |= set(sorted(lead, key=lead.get, reverse=True)[:LEAD_TERMS])
        return cls({t: w for t, w in lead.items() if t in kept}, {t: w for t, w in text.items() if t in kept})

    @classmethod
    def from_rows(cls, rows) -> Profile:
        """From story_terms rows (term, lead_weight, text_weight)."""
        profile = cls({}, {})
        for term, lead_weight, text_weight in rows:
            if lead_weight:
                profile.lead[term] = lead_weight
            if text_weight:
                profile.text[term] = text_weight
        return profile

    def rows(self) -> list[tuple[str, float, float]]:
        return [(t, self.lead.get(t, 0.0), self.text.get(t, 0.0)) for t in sorted(self.lead.keys() | self.text.keys())]

    def key_terms(self, count: int, minimum: float) -> list[str]:
        """The lead's rarest terms: what finds the other reports of its event."""
        ranked = sorted(self.lead, key=self.lead.get, reverse=True)
        return [t for t in ranked[:count] if self.lead[t] >= minimum]

    @functools.cached_property
    def lengths(self) -> tuple[float, float]:
        """The lengths of the lead and text vectors (read once the profile is complete)."""
        return length(self.lead), length(self.text)

    def similarity(self, other: Profile) -> float:
        (lead, text), (other_lead, other_text) = self.lengths, other.lengths
        return (cosine(self.lead, other.lead, lead * other_lead) + cosine(self.text, other.text, text * other_text)) / 2


def shingles(article) -> set[bytes]:
    """Word n-grams of the article's body in search form (a mapping with the
    row's title, subtitle, body and search_text: the body is cut from the
    search text, folded once already), UTF-8."""
    return shingles_of(folded_body(article))


def shingles_of(folded: str) -> set[bytes]:
    words = folded.encode().split()
    if len(words) < SHINGLE_WORDS:
        return {b" ".join(words)} if words else set()
    return set(map(b" ".join, zip(*(words[start:] for start in range(SHINGLE_WORDS)))))


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


# datasketch's MinHash of the shingles (scheme "affine32", seed 1, its SHA-1
# hash of each shingle), computed here with numpy alone: datasketch's import
# loads scipy and aiohttp (0.5 s a process) for the few lines used. The values
# are datasketch's, bit for bit (tests/test_stories.py checks it), so bands
# stored by earlier versions still meet the new ones.
MINHASH_SEED = 1


@functools.cache
def _permutations():
    """The affine permutations h -> a*h + b (mod 2^32) of the seed, drawn as
    datasketch draws them (odd `a`: each is a bijection)."""
    import numpy

    generator = numpy.random.RandomState(MINHASH_SEED)
    a = generator.randint(0, 1 << 31, NUM_PERM, dtype=numpy.uint32) * numpy.uint32(2) + numpy.uint32(1)
    b = generator.randint(0, 1 << 32, NUM_PERM, dtype=numpy.uint32)
    return a, b


def minhash(shingle_set: set[bytes]):
    """The MinHash signature of the shingles: NUM_PERM uint32 values."""
    import numpy

    a, b = _permutations()
    sha1 = hashlib.sha1
    digests = b"".join([sha1(shingle).digest()[:4] for shingle in shingle_set])
    hashed = numpy.frombuffer(digests, dtype="<u4").astype(numpy.uint32)
    # MurmurHash3's finalizer, a fixed bijection that spreads the input hashes.
    hashed ^= hashed >> 16
    hashed *= numpy.uint32(0x85EBCA6B)
    hashed ^= hashed >> 13
    hashed *= numpy.uint32(0xC2B2AE35)
    hashed ^= hashed >> 16
    return (hashed[:, None] * a + b).min(axis=0)


def bands(shingle_set: set[bytes]) -> list[int]:
    """The LSH bucket of each band of the shingles' MinHash, as signed 64-bit
    integers (a BIGINT on both databases); the band number is hashed in, so
    one indexed column holds them all."""
    if not shingle_set:
        return []
    values = minhash(shingle_set).tolist()
    buckets = []
    for band in range(BANDS):
        rows = values[band * ROWS:(band + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f"<H{ROWS}Q", band, *rows), digest_size=8).digest()
        buckets.append(struct.unpack("<q", digest)[0])
    return buckets


@dataclass
class ArticleFeatures:
    """What the story assignment compares an article by, computed where the
    page is read (a replay's worker) so that the one writer only compares."""

    profile: Profile
    buckets: list[int]


def article_features(record) -> ArticleFeatures:
    """The features of an `articles` row (a mapping with its title, subtitle,
    body, captions as stored, search_text and language)."""
    return ArticleFeatures(
        Profile.of(record["title"], record["subtitle"], record["body"], record["captions"], record.get("language")),
        bands(shingles(record)),
    )


def warm_up() -> None:
    """Read what the features need once per process: the word frequencies
    and numpy (0.2 s the first time, nothing after)."""
    article_features({"title": "تحضير", "subtitle": None, "body": "تحضير", "captions": None, "search_text": None})
