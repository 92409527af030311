"""The fixture sites after a redesign the current parser cannot read.

`tests/sites/changed/<host>/<id>.html` is a site's article page after its
"template changed": the same text, without the article markup (no JSON-LD, no
OpenGraph or `article:` meta tags, no canonical link, no `<article>`, `<h1>`
or `<time>`), the date only as `منذ 3 ساعات` (relative: never turned into a
date) and the section nowhere. They were written once from the site's
`articles/` pages. A test serves them over the real pages:

    with FixtureServer() as server:
        serve_changed_template(server, "aawsat.com")   # every article route now answers the new page
"""
from __future__ import annotations

from pathlib import Path

from tests.sites.server import FixtureServer, load_expected

CHANGED_DIR = Path(__file__).resolve().parent


def changed_page(host: str, article: dict) -> str:
    """The redesigned page of one of the site's expected articles."""
    article_id = next(part for part in article["path"].replace("/", "-").split("-") if part.isdigit())
    return (CHANGED_DIR / host / f"{article_id}.html").read_text(encoding="utf-8")


def serve_changed_template(server: FixtureServer, host: str) -> None:
    for article in load_expected(host)["articles"]:
        server.set_override(host, article["path"], changed_page(host, article))
