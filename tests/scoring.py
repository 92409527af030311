"""The seed acceptance metric: stored rows against the expected fields in
tests/fixtures/seeds/gold.json (token F1 of the body, exact fields, leaks)."""
from __future__ import annotations

import collections
import json
import re
import unicodedata
from pathlib import Path

GOLD = Path(__file__).parent / "fixtures" / "seeds" / "gold.json"
KNOWN_OUTLETS = {"24ae", "aawsat", "khaberain", "thenewkhalij"}


def fold(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").replace("\u0640", "")
    return re.sub(r"\s+", " ", text).strip()


def token_f1(predicted: str | None, expected: str | None) -> float:
    p = collections.Counter(re.findall(r"\w+", fold(predicted)))
    g = collections.Counter(re.findall(r"\w+", fold(expected)))
    common = sum((p & g).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def load_gold() -> list[dict]:
    return json.loads(GOLD.read_text(encoding="utf-8"))


def score_row(expected: dict, row: dict) -> dict:
    """Per-field verdicts for one stored row (a dict of column values)."""
    result = {}
    want = expected.get("outlet")
    result["outlet"] = row.get("outlet") == want if want else row.get("outlet") not in KNOWN_OUTLETS
    if expected.get("title") is not None:
        result["title"] = fold(row.get("title")) == fold(expected["title"])
    published = row.get("published_at")
    if expected.get("published") is None:
        result["published"] = published is None
    else:
        result["published"] = str(published)[:10] == expected["published"]
    if expected.get("section"):
        result["section"] = fold(row.get("section")) == fold(expected["section"])
    result["body_f1"] = token_f1(row.get("body"), expected["body"])
    text = fold(row.get("body")) + "\n" + fold(row.get("title"))
    leaks = [s for s in expected.get("forbidden", []) if fold(s) and fold(s) in text]
    if expected.get("title") and fold(expected["title"]) in fold(row.get("body")):
        leaks.append("<title repeated in body>")
    result["leaks"] = leaks
    return result
