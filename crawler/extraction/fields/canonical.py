"""The page's canonical URL.

`<link rel="canonical">` first, then `og:url`, then the JSON-LD article's
`mainEntityOfPage` / `url`: real sites cut slugs short in `og:url`, put a bare
IP address there, or fill JSON-LD ids with a section URL shared by every
article in it. A candidate is taken only if it can be an article's address:
http(s), a host name (not an IP address), a path beyond the home page, and,
for a page read from the web, the same site as the page. Tracking parameters
(`utm_*`, `fbclid`, `ref`, ...: courlan's list) and fragments are dropped.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan.clean import TRACKERS_RE

from crawler.extraction.page import ParsedPage, absolute_url, first_url


def canonical_url(page: ParsedPage) -> str | None:
    candidates = [*page.canonical_links, page.meta("og:url"),
                  first_url(page.article.get("mainEntityOfPage")), first_url(page.article.get("url"))]
    for candidate in candidates:
        url = absolute_url(candidate, page.url)
        if url and is_article_address(url, page.url):
            return clean_url(url)
    return None


def clean_url(url: str) -> str:
    """The URL without tracking parameters (courlan's list) and fragment,
    host lowercased; the path is kept as written."""
    parts = urlsplit(url)
    query = parts.query
    if query:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not TRACKERS_RE.search(k.lower())]
        query = urlencode(kept, safe="/:") if len(kept) != len(parse_qsl(query, keep_blank_values=True)) else query
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, query, ""))


def is_article_address(url: str, page_url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or "." not in host:
        return False
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    if not parts.path.strip("/") and not parts.query:
        return False  # the home page
    if page_url.startswith(("http://", "https://")):
        return same_site(host, urlsplit(page_url).hostname or "")
    return True


def same_site(host: str, other: str) -> bool:
    """Whether two hosts belong to one site: equal without `www.`/`m.`, or one
    a subdomain of the other."""
    a, b = (h.lower().removeprefix("www.").removeprefix("m.") for h in (host, other))
    return a == b or a.endswith("." + b) or b.endswith("." + a)
