"""What makes two stored pages one article, or two publications of one text.

- `url_key`: the form the URLs of one page share. A page met at
  `/a/1?ref=home`, `/a/1/` and `/a/1` is one article, stored once.
- `publisher`: who published a row's text. The same text twice from one
  publisher (two URLs of its site, or an aggregator's copy of it, whose site
  is in `via`) is one article; from two publishers it is two publications,
  two rows linked by `duplicate_of` (see db/store.py).
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from crawler.extraction.fields.canonical import clean_url


def url_key(url: str | None) -> str | None:
    """The URL without tracking parameters, fragment and trailing slash, host
    lowercased (`clean_url`); a URL that is not http(s) (a saved file) as it is."""
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        return url
    parts = urlsplit(clean_url(url))
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), parts.query, ""))


def publisher(outlet: str | None, url: str | None, via: str | None) -> str | None:
    """The outlet of a row; without one, the site it was read from (without
    `www.` / `m.`), unless that site only republished it (`via`). None when
    unknown: such rows are one publisher among themselves."""
    if outlet:
        return outlet
    if via:
        return None
    host = (urlsplit(url or "").hostname or "").lower()
    return host.removeprefix("www.").removeprefix("m.") or None
