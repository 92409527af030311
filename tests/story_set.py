"""The labelled story test set (tests/fixtures/stories/articles.json): its
articles as items through the normalizer chain, and the pairwise score of the
stories a database gave them."""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from scrapy.settings import Settings
from sqlalchemy import Engine, select

from crawler import settings as project_settings
from crawler.items import ArticleItem
from db.models import Article
from pipelines.base import build_normalizers, run_normalizers

ARTICLES = Path(__file__).parent / "fixtures" / "stories" / "articles.json"


def load_set() -> list[dict]:
    return json.loads(ARTICLES.read_text(encoding="utf-8"))


def items(entries: list[dict]) -> list[ArticleItem]:
    """The entries as the spiders would hand them over, normalized."""
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    normalizers = build_normalizers(settings)
    return [
        run_normalizers(normalizers, ArticleItem(
            url=entry["url"], input_ref=entry["url"], parser="html", outlet=entry["outlet"], language="ar",
            title=entry["title"], subtitle=entry.get("subtitle"), body=entry["body"],
            captions=entry.get("captions", []), agency=entry.get("agency"),
            published_at=datetime.fromisoformat(entry["published_at"]) if entry["published_at"] else None,
        ))
        for entry in entries
    ]


@dataclass
class PairScore:
    precision: float
    recall: float
    true_pairs: int  # same event, same story
    predicted_pairs: int  # same story
    gold_pairs: int  # same event
    false_pairs: list[tuple[str, str]]  # same story, not the same event
    missed_pairs: list[tuple[str, str]]  # same event, not the same story

    def line(self) -> str:
        return (f"pairwise precision {self.precision:.3f} ({self.true_pairs}/{self.predicted_pairs}), "
                f"recall {self.recall:.3f} ({self.true_pairs}/{self.gold_pairs})")


def story_of_url(engine: Engine) -> dict[str, int | None]:
    with engine.connect() as connection:
        return dict(connection.execute(select(Article.url, Article.story_id)).all())


def pair_score(entries: list[dict], stories: dict[str, int | None]) -> PairScore:
    """Every pair of articles: the same event (gold) against the same story."""
    true = predicted = gold = 0
    false_pairs, missed_pairs = [], []
    for a, b in itertools.combinations(entries, 2):
        same_event = a["event"] == b["event"]
        story_a, story_b = stories[a["url"]], stories[b["url"]]
        same_story = story_a is not None and story_a == story_b
        gold += same_event
        predicted += same_story
        true += same_event and same_story
        if same_story and not same_event:
            false_pairs.append((a["url"], b["url"]))
        if same_event and not same_story:
            missed_pairs.append((a["url"], b["url"]))
    return PairScore(true / predicted if predicted else 1.0, true / gold if gold else 1.0,
                     true, predicted, gold, false_pairs, missed_pairs)
