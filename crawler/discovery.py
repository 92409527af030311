"""Finding article URLs: robots.txt, sitemaps, feeds and the links of HTML pages.

Plain functions over page bytes and Scrapy responses, used by the spiders
(crawler/spiders/base.py) and testable on their own:

- `robots_sitemaps(text)`: the `Sitemap:` lines of a robots.txt;
- `parse_sitemap(body)`: a sitemap index (child sitemaps) or a URL set, with
  `<lastmod>` and Google News `<news:publication_date>`; gzipped files too;
- `parse_feed(body)`: RSS 2.0, RSS 1.0 (RDF) and Atom entries with their dates;
- `page_links(response)`: links, `rel="next"` pages and declared feeds of an HTML page;
- `declares_article(response)`: whether a page says it is an article (JSON-LD
  `NewsArticle` and its kin, or `og:type` article), for sites without URL rules;
- `resolve_since` / `is_recent`: the age window for dated feed and sitemap entries.
"""
from __future__ import annotations

import email.utils
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from urllib.parse import urldefrag, urlsplit

from lxml import etree
from scrapy.http import Response
from w3lib.url import safe_url_string

from crawler.extraction.page import walk_json_ld

# Link targets that are never pages (images, media, documents, archives).
_FILE_EXTENSION = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|ico|bmp|tiff?|mp[34]|m4[av]|webm|avi|mov|wmv|flv|ogg|wav|"
    r"pdf|docx?|xlsx?|pptx?|odt|zip|rar|7z|gz|tar|exe|apk|dmg|css|js|json|woff2?|ttf)$",
    re.IGNORECASE,
)
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
_ARTICLE_TYPES = {"blogposting", "liveblogposting", "report"}
_XML_PARSER = etree.XMLParser(recover=True, remove_comments=True, resolve_entities=False, huge_tree=True,
                              no_network=True)
_ROBOTS_SITEMAP = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Entry:
    """One URL named by a sitemap or a feed, with what the source says of its age.

    `modified` / `modified_raw`: when the page last changed (sitemap `lastmod`,
    Atom `updated`). `published`: when it was first published (news sitemap
    `publication_date`, RSS `pubDate`, Atom `published`)."""

    url: str
    modified: datetime | None = None
    published: datetime | None = None
    modified_raw: str | None = None

    @property
    def latest(self) -> datetime | None:
        dates = [d for d in (self.modified, self.published) if d is not None]
        return max(dates) if dates else None


@dataclass
class Sitemap:
    is_index: bool
    entries: list[Entry] = field(default_factory=list)


@dataclass
class PageLinks:
    links: list[str] = field(default_factory=list)  # every <a href>, absolute, in page order
    next_pages: list[str] = field(default_factory=list)  # rel="next"
    feeds: list[str] = field(default_factory=list)  # <link rel="alternate" type=RSS/Atom>


# --- dates and the age window ---------------------------------------------------


def parse_time(text: str | None) -> datetime | None:
    """A feed or sitemap time (W3C/ISO 8601 or RFC 822) as an aware UTC
    datetime; a date alone counts as the end of that day, so that a window
    starting that day keeps it. None when absent or unreadable."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
        if not any(mark in text for mark in "T :"):  # a date alone
            moment = datetime.combine(moment.date(), time.max)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def resolve_since(value: str | None, max_age_days: float, now: datetime | None = None) -> datetime | None:
    """Start of the age window: `value` (an ISO date or time, from `-a since=`)
    if given, else `max_age_days` before now; None (no window) when the age
    is 0 or less. A date alone means its start (00:00 UTC)."""
    if value:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"since={value!r}: expected an ISO date or time, e.g. 2024-11-18 or "
                             "2024-11-18T12:00:00+00:00") from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if max_age_days <= 0:
        return None
    return (now or datetime.now(timezone.utc)) - timedelta(days=max_age_days)


def is_recent(entry: Entry, since: datetime | None) -> bool:
    """Inside the window, or undated (its age is unknown, so it is kept)."""
    latest = entry.latest
    return since is None or latest is None or latest >= since


# --- robots.txt, sitemaps, feeds ------------------------------------------------


def robots_sitemaps(text: str) -> list[str]:
    return list(dict.fromkeys(_ROBOTS_SITEMAP.findall(text or "")))


def _xml_root(body: bytes, max_size: int = 0):
    """The XML root of a (possibly gzipped) file, or None. Raises ValueError
    for a broken gzip file or one that unpacks to more than `max_size` bytes."""
    if body[:2] == _GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
                body = stream.read(max_size + 1 if max_size else -1)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"broken gzip file: {exc}") from None
        if max_size and len(body) > max_size:
            raise ValueError(f"gunzipped file over {max_size} bytes")
    body = body.lstrip()
    if not body:
        return None
    try:
        return etree.fromstring(body, parser=_XML_PARSER)
    except etree.XMLSyntaxError:
        return None


def _local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(element, *names: str) -> str | None:
    """Text of the first descendant named one of `names` (any namespace), in that order."""
    for name in names:
        for found in element.iter():
            if _local(found) == name and found is not element and (found.text or "").strip():
                return found.text.strip()
    return None


def parse_sitemap(body: bytes, max_size: int = 0) -> Sitemap:
    """A sitemap index or URL set (XML, possibly gzipped). A file that is not
    XML gives an empty URL set; see `_xml_root` for gzip errors."""
    root = _xml_root(body, max_size)
    if root is None:
        return Sitemap(is_index=False)
    is_index = _local(root) == "sitemapindex"
    wanted = "sitemap" if is_index else "url"
    sitemap = Sitemap(is_index=is_index)
    for node in root:
        if _local(node) != wanted:
            continue
        loc = next((c.text.strip() for c in node if _local(c) == "loc" and c.text and c.text.strip()), None)
        if not loc:
            continue
        lastmod = next((c.text.strip() for c in node if _local(c) == "lastmod" and c.text and c.text.strip()), None)
        sitemap.entries.append(Entry(
            url=loc, modified=parse_time(lastmod), modified_raw=lastmod,
            published=parse_time(_child_text(node, "publication_date")),
        ))
    return sitemap


def parse_feed(body: bytes, max_size: int = 0) -> list[Entry]:
    """Entries of an RSS 2.0, RSS 1.0 or Atom feed (possibly gzipped). A file
    that is not XML gives none; see `_xml_root` for gzip errors."""
    root = _xml_root(body, max_size)
    if root is None:
        return []
    entries = []
    for node in root.iter():
        name = _local(node)
        if name == "item":
            url = _child_text(node, "link")
            if not url:
                guid = next((c for c in node if _local(c) == "guid"), None)
                if guid is not None and guid.get("isPermaLink", "true") != "false":
                    url = (guid.text or "").strip()
            published = parse_time(_child_text(node, "pubdate", "date", "published"))
            modified_raw = _child_text(node, "updated", "modified")
        elif name == "entry":
            links = [c for c in node if _local(c) == "link" and c.get("href")]
            page = next((c for c in links if c.get("rel", "alternate") == "alternate"), None)
            url = page.get("href").strip() if page is not None else None
            published = parse_time(_child_text(node, "published", "issued"))
            modified_raw = _child_text(node, "updated", "modified")
        else:
            continue
        if url and url.startswith(("http://", "https://")):
            entries.append(Entry(url=url, modified=parse_time(modified_raw), published=published,
                                 modified_raw=modified_raw))
    return entries


# --- HTML pages -------------------------------------------------------------------


def clean_link(href: str | None, base: Response) -> str | None:
    """An absolute http(s) URL without fragment, as Scrapy sends it; None for
    other schemes and for files that are not pages."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    url = urldefrag(base.urljoin(href))[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or _FILE_EXTENSION.search(parts.path):
        return None
    return safe_url_string(url)


def page_links(response: Response) -> PageLinks:
    found = PageLinks()
    if not hasattr(response, "xpath"):
        return found
    seen = set()
    for href in response.xpath("//a[@href]/@href").getall():
        url = clean_link(href, response)
        if url and url not in seen:
            seen.add(url)
            found.links.append(url)
    rel_next = response.xpath(
        "//link[@href][contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
        " | //a[@href][contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
    ).getall()
    found.next_pages = list(dict.fromkeys(filter(None, (clean_link(h, response) for h in rel_next))))
    for link in response.xpath("//link[@href][contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]"):
        if (link.attrib.get("type") or "").split(";")[0].strip().lower() in _FEED_TYPES:
            url = clean_link(link.attrib["href"], response)
            if url and url not in found.feeds:
                found.feeds.append(url)
    return found


def _is_article_type(declared) -> bool:
    names = declared if isinstance(declared, list) else [declared]
    for name in names:
        if isinstance(name, str):
            name = name.rsplit("/", 1)[-1].lower()
            if name.endswith("article") or name in _ARTICLE_TYPES:
                return True
    return False


def declares_article(response: Response) -> bool:
    """Whether an HTML page declares itself an article: a JSON-LD object of an
    article type (NewsArticle, Article, BlogPosting, ...) or og:type article."""
    if not hasattr(response, "xpath"):
        return False
    og_type = response.xpath("//meta[@property='og:type']/@content").get(default="")
    if og_type.strip().lower() == "article":
        return True
    for script in response.xpath("//script[@type='application/ld+json']/text()").getall():
        try:
            data = json.loads(script.strip().removeprefix("<!--").removesuffix("-->"), strict=False)
        except ValueError:
            continue
        if any(_is_article_type(obj.get("@type")) for obj in walk_json_ld(data)):
            return True
    return False
