"""Page kinds: a folder replay stores the saved pages that are one article and
skips, as not_article, home pages, listings, search results, about and contact
pages and video galleries (crawler/extraction/fields/kind.py)."""
from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from crawler.extraction.fields.kind import ARTICLE, page_kind
from crawler.extraction.page import ParsedPage
from crawler.inputs import maybe_gunzip
from crawler.pages import HTML, NotAnArticle, read_saved_page
from crawler.summary import format_summary
from tests.replay_runner import REPO, run_replay

FIXTURES = REPO / "tests" / "fixtures" / "html"
KINDS = FIXTURES / "kinds"
SITES = REPO / "tests" / "sites"
NOT_ARTICLES = {
    "home.html": "home", "section.html": "listing", "tag.html": "listing", "author.html": "author",
    "search.html": "search", "about.html": "about", "contact.html": "contact", "video.html": "video",
}
ARTICLES = [
    *sorted(KINDS.glob("article_*.html")), *sorted(FIXTURES.glob("*.html")),
    *sorted((REPO / "tests" / "fixtures" / "outlets").rglob("*.html.gz")), *sorted(SITES.glob("*/articles/*.html")),
]
# The fixture sites' other pages; a 404 page is left to the extraction (a rejection).
SITE_PAGES = [p for p in sorted(SITES.glob("*/pages/*.html")) if p.name != "404.html"]
# What a page says of itself: JSON-LD, og:type and article:* tags, microdata.
_DECLARATIONS = re.compile(
    r"<script[^>]*application/ld\+json.*?</script>|<meta[^>]+(?:property|name)=\"(?:og:type|article:[^\"]*)\"[^>]*>"
    r"|\bitem(?:scope|type|prop)(?:=\"[^\"]*\")?",
    re.DOTALL | re.IGNORECASE,
)


def kind_of(path: Path, *, declared: bool = True) -> str:
    html = maybe_gunzip(path.read_bytes()).decode("utf-8", "replace")
    if not declared:
        html = _DECLARATIONS.sub("", html)
    return page_kind(ParsedPage.parse(html, path.resolve().as_uri()))


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(REPO / "tests")) for p in paths]


@pytest.mark.parametrize("name, kind", NOT_ARTICLES.items())
def test_pages_that_are_not_one_article_are_told_apart(name, kind):
    assert kind_of(KINDS / name) == kind


@pytest.mark.parametrize("path", ARTICLES, ids=ids(ARTICLES))
def test_articles_with_related_stories_comments_or_a_short_body_are_articles(path):
    assert kind_of(path) == ARTICLE


@pytest.mark.parametrize("path", ARTICLES, ids=ids(ARTICLES))
def test_articles_stay_articles_by_their_layout_alone(path):
    assert kind_of(path, declared=False) == ARTICLE


@pytest.mark.parametrize("name", ["home.html", "section.html", "tag.html", "search.html", "video.html", "about.html",
                                  "contact.html"])
def test_listings_search_video_and_site_pages_by_their_layout_alone(name):
    assert kind_of(KINDS / name, declared=False) == NOT_ARTICLES[name]


@pytest.mark.parametrize("path", SITE_PAGES, ids=ids(SITE_PAGES))
def test_the_fixture_sites_listings_search_and_about_pages_are_not_articles(path):
    assert kind_of(path) != ARTICLE


def test_teasers_marked_up_as_articles_do_not_make_a_listing_an_article():
    html = (KINDS / "section.html").read_text(encoding="utf-8")
    microdata = html.replace('<div class="post-item">',
                             '<div class="post-item" itemscope itemtype="https://schema.org/NewsArticle">')
    teasers = re.findall(r'<h2 class="post-title"><a href="([^"]+)">([^<]+)</a>', html)
    json_ld = "".join(f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{title}", '
                      f'"url": "https://www.alwatan-alyoum.example{href}"}}</script>' for href, title in teasers)
    with_json_ld = html.replace("</head>", json_ld + "</head>")
    for variant in (microdata, with_json_ld):
        assert page_kind(ParsedPage.parse(variant, "file:///saved/economy.html")) == "listing"
    # One of several JSON-LD articles naming the page's own address: the page is that article.
    own = with_json_ld.replace("</head>", '<link rel="canonical" href="https://www.alwatan-alyoum.example'
                               f'{teasers[0][0]}"></head>')
    assert page_kind(ParsedPage.parse(own, "file:///saved/economy.html")) == ARTICLE


def test_read_saved_page_skips_a_page_that_is_not_an_article_only_when_asked():
    path = KINDS / "tag.html"
    with pytest.raises(NotAnArticle) as raised:
        read_saved_page(path.read_bytes(), path.as_uri(), HTML, articles_only=True)
    assert raised.value.kind == "listing"
    # Crawls decide by their URL rules before: the page is extracted as asked.
    assert read_saved_page(path.read_bytes(), path.as_uri(), HTML).title


def test_summary_counts_the_skipped_pages_by_kind():
    stats = {"articles/other/new": 2, "replay/not_article/home": 1, "replay/not_article/listing": 2}
    assert "3 pages skipped as not_article: home 1, listing 2" in format_summary(stats).splitlines()
    assert "not_article" not in format_summary({"articles/other/new": 2})


def test_folder_replay_stores_the_articles_and_skips_the_other_pages(tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    for path in [*KINDS.glob("*.html"), FIXTURES / "og_only_article.html", REPO / "seeds" / "004_e9620a58fadc7eaf.txt"]:
        shutil.copy(path, folder / path.name)
    db = tmp_path / "news.db"
    result = run_replay(f"sqlite:///{db}", folder, extra=("-L", "INFO"))
    # Nothing was lost: every article is stored, so the run succeeded.
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    skipped = "8 pages skipped as not_article: about 1, author 1, contact 1, home 1, listing 2, search 1, video 1"
    assert skipped in result.stdout
    assert "5 files read, 5 stored, 0 rejected" in result.stdout
    assert "(listing)" in result.stderr and "Skipped" in result.stderr
    con = sqlite3.connect(db)
    try:
        stored = {Path(ref).name for (ref,) in con.execute("SELECT input_ref FROM articles")}
        rejected = con.execute("SELECT count(*) FROM rejected_pages").fetchone()[0]
    finally:
        con.close()
    assert stored == {"article_opinion.html", "article_related.html", "article_short.html", "og_only_article.html",
                      "004_e9620a58fadc7eaf.txt"}
    assert rejected == 0
