"""The canary of an outlet (`scrapy canary`): is its current parser still
reading its site?

1. The newest article its feeds and sitemaps name (robots.txt's sitemaps, the
   declared feeds and sitemaps, the home page's feed links) is fetched through
   the outlet's spider and read as a crawl would store it (HTML extraction and
   the normalizers, nothing stored). It must have a title, a body of prose
   (`CANARY_MIN_BODY_WORDS` words, most in lines of 8 words or more), a publication date, and
   the fields the outlet's alarm floors expect (`Outlet.alarms`, e.g. section).
2. The outlet's fixture pages (`CANARY_FIXTURES_DIR`, the fixture sites of the
   tests, when present) are read by the current parser and must still give what
   their `expected.json` says: title, section, authors, date, body snippets, and
   none of the boilerplate.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from w3lib.url import safe_url_string

from crawler.alarms.checks import Thresholds
from crawler.alarms.measures import has_value
from crawler.items import ArticleItem, RejectedPage
from crawler.outlets import Outlet
from crawler.pages import HTML, read_saved_page
from pipelines.base import RejectItem, build_normalizers, run_normalizers

REQUIRED = ("title", "body", "published_at")
# A line of prose has at least this many words (a menu item or a link list has fewer).
SENTENCE_WORDS = 8


@dataclass
class Newest:
    """What the canary fetched: the article and the entry that named it."""

    url: str | None = None
    dated: datetime | None = None
    item: ArticleItem | None = None
    problem: str | None = None  # no entry, a failed fetch, a rejection


def canary_spider(spider_class: type) -> type:
    """The outlet spider reading only its feeds and sitemaps, and fetching only
    the newest article they name."""

    class CanarySpider(spider_class):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("sources", "sitemaps,feeds")
            super().__init__(*args, **kwargs)
            self.candidates: list[tuple[datetime | None, str]] = []
            self.newest = Newest()
            self.asked = False

        @classmethod
        def from_crawler(cls, crawler, *args, **kwargs):
            spider = super().from_crawler(crawler, *args, **kwargs)
            crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
            return spider

        def _follow(self, url, depth, entry=None):
            # Feed and sitemap entries are remembered, nothing is followed.
            if entry is not None and self.on_site(url) and self.link_kind(url) == "article":
                self.candidates.append((entry.published or entry.modified, url))
            return ()

        def spider_idle(self, spider):
            if self.asked or not self.candidates:
                if not self.candidates:
                    self.newest.problem = "no article in its feeds and sitemaps"
                return
            self.asked = True
            oldest = datetime.min.replace(tzinfo=timezone.utc)
            dated, url = max(self.candidates, key=lambda c: c[0] or oldest)
            self.newest.url, self.newest.dated = unquote(url), dated
            request = scrapy.Request(safe_url_string(url), callback=self.parse_newest, errback=self.newest_failed,
                                     meta={"discovery": "article"}, dont_filter=True)
            self.crawler.engine.crawl(request)
            raise DontCloseSpider

        def parse_newest(self, response, **kwargs):
            item = self.article_item(response)
            if isinstance(item, RejectedPage):
                self.newest.problem = f"rejected ({item.reason}: {item.detail})"
                return
            try:
                self.newest.item = run_normalizers(build_normalizers(self.settings), item)
            except RejectItem as rejection:
                self.newest.problem = f"rejected ({rejection})"

        def newest_failed(self, failure):
            self.newest.problem = f"could not be fetched: {failure.getErrorMessage()}"

    CanarySpider.__name__ = CanarySpider.__qualname__ = f"Canary_{spider_class.__name__}"
    return CanarySpider


def expected_fields(outlet: Outlet, settings) -> tuple[str, ...]:
    """The title, body and date, and the fields the outlet's alarm floors ask for."""
    floors = Thresholds.from_settings(settings, outlet.alarms).coverage_floors
    return (*REQUIRED, *(name for name, floor in floors.items() if floor > 0 and name not in REQUIRED))


def is_prose(body: str, min_words: int) -> str | None:
    """Why a body is not an article's prose, or None."""
    lines = [line.split() for line in body.splitlines() if line.strip()]
    words = sum(len(line) for line in lines)
    if words < min_words:
        return f"body of {words} words (at least {min_words})"
    in_sentences = sum(len(line) for line in lines if len(line) >= SENTENCE_WORDS)
    if in_sentences < words / 2:
        return f"body not prose ({in_sentences} of {words} words in lines of {SENTENCE_WORDS} words or more)"
    return None


def newest_problems(newest: Newest, outlet: Outlet, settings) -> list[str]:
    if newest.problem:
        where = f"{newest.url}: " if newest.url else ""
        return [f"newest article {where}{newest.problem}"]
    item = newest.item
    problems = [f"no {name}" for name in expected_fields(outlet, settings) if not has_value(getattr(item, name))]
    if item.body:
        why = is_prose(item.body, settings.getint("CANARY_MIN_BODY_WORDS", 20))
        if why:
            problems.append(why)
    return [f"newest article {newest.url}: {', '.join(problems)}"] if problems else []


# --- the fixture pages ------------------------------------------------------------------------


def fixture_sites(outlet: Outlet, fixtures_dir: Path) -> list[Path]:
    if not fixtures_dir.is_dir():
        return []
    found = []
    for expected in sorted(fixtures_dir.glob("*/expected.json")):
        if json.loads(expected.read_text(encoding="utf-8")).get("outlet") == outlet.slug:
            found.append(expected.parent)
    return found


def fixture_problems(outlet: Outlet, fixtures_dir: Path, settings) -> tuple[int, list[str]]:
    """How many fixture articles of the outlet were read, and where the current
    parser no longer gives what their expectations say."""
    normalizers = build_normalizers(settings)
    checked, problems = 0, []
    for site in fixture_sites(outlet, fixtures_dir):
        expected = json.loads((site / "expected.json").read_text(encoding="utf-8"))
        routes = json.loads((site / "routes.json").read_text(encoding="utf-8"))["routes"]
        fetched_at = datetime.fromisoformat(expected["sitemap_window"]["reference"])
        for article in expected["articles"]:
            page = site / routes[article["path"]]["file"]
            try:
                item = run_normalizers(normalizers, read_saved_page(
                    page.read_bytes(), article["url"], HTML, encoding="utf-8", fetched_at=fetched_at))
            except Exception as error:  # a rejection or a parser failure: either is a finding
                problems.append(f"fixture {page.name}: not read ({type(error).__name__}: {error})")
                continue
            checked += 1
            problems += [f"fixture {page.name}: {difference}" for difference in _differences(article, item)]
    return checked, problems


def _differences(article: dict, item: ArticleItem) -> list[str]:
    found = []
    for name in ("title", "section"):
        if getattr(item, name) != article[name]:
            found.append(f"{name} {getattr(item, name)!r}, expected {article[name]!r}")
    if list(item.authors) != article["authors"]:
        found.append(f"authors {item.authors!r}, expected {article['authors']!r}")
    published = datetime.fromisoformat(article["published_at"]) if article["published_at"] else None
    if item.published_at != published:
        found.append(f"published_at {item.published_at}, expected {published}")
    body = item.body or ""
    found += [f"body lacks {snippet[:40]!r}…" for snippet in article["body_snippets"] if snippet not in body]
    found += [f"body keeps {text[:40]!r}…" for text in article["boilerplate_absent"] if text in body]
    return found


@dataclass
class CanaryResult:
    outlet: str
    newest: Newest
    fixtures_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def line(self) -> str:
        if self.problems:
            return f"{self.outlet}: FAILED: " + "; ".join(self.problems)
        item = self.newest.item
        published = item.published_at.isoformat() if item.published_at else "?"
        return (f"{self.outlet}: ok: newest article {self.newest.url} (published {published}, "
                f"{item.word_count or len((item.body or '').split())} words); "
                f"{self.fixtures_checked} fixture articles as expected")
