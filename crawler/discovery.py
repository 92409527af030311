"""Finding article URLs: robots.txt, sitemaps, feeds and the links of HTML pages.

Plain functions over page bytes and Scrapy responses, used by the spiders
(crawler/spiders/base.py) and testable on their own:

- `robots_sitemaps(text)`: the `Sitemap:` lines of a robots.txt;
- `parse_sitemap(body)`: a sitemap index (child sitemaps) or a URL set, with
  `<lastmod>` and Google News `<news:publication_date>`, a plain-text sitemap,
  or a feed named as a sitemap; gzipped files too;
- `parse_feed(body)`: RSS 2.0, RSS 1.0 (RDF), Atom and JSON Feed entries with their dates;
- `page_links(response)`: links, `rel="next"` pages and declared feeds of an HTML page;
- `declares_article(response)`: whether a page says it is an article (JSON-LD
  `NewsArticle` and its kin, or `og:type` article), for sites without URL rules;
- `parse_time` / `parse_period`: their dates, as UTC instants (and the
  precision of a date written to the day, month or year);
- `resolve_since` / `is_recent`: the age window for dated feed and sitemap entries.
"""
from __future__ import annotations

import email.utils
import functools
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urldefrag, urlsplit

from lxml import etree
from scrapy.http import Response
from w3lib.url import safe_url_string

from crawler.extraction.page import is_article_type, load_json_ld, types_of, walk_json_ld

# Link targets that are never pages (images, media, documents, archives).
_FILE_EXTENSION = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|ico|bmp|tiff?|mp[34]|m4[av]|webm|avi|mov|wmv|flv|ogg|wav|"
    r"pdf|docx?|xlsx?|pptx?|odt|zip|rar|7z|gz|tar|exe|apk|dmg|css|js|json|woff2?|ttf)$",
    re.IGNORECASE,
)
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
# Entities are never expanded (billion laughs) nor fetched (XXE); a damaged
# file is read as far as it goes.
_XML_OPTIONS = dict(recover=True, remove_comments=True, resolve_entities=False, huge_tree=True, no_network=True)
# An `&` that starts no character or entity reference, outside CDATA sections.
_STRAY_AMPERSAND = re.compile(rb"<!\[CDATA\[.*?\]\]>|&(?!#\d+;|#x[0-9a-fA-F]+;|[A-Za-z_][\w.-]*;)", re.DOTALL)
_FEED_ROOTS = {"rss", "rdf", "feed"}
_HTTP_URL = re.compile(r"https?://[^\s/?#]", re.IGNORECASE)
_ROBOTS_SITEMAP = re.compile(r"^\s*site-?map\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Entry:
    """One URL named by a sitemap or a feed, with what the source says of its age.

    `modified` / `modified_raw`: when the page last changed (sitemap `lastmod`,
    Atom `updated`, JSON Feed `date_modified`). `published`: when it was first
    published (news sitemap `publication_date`, RSS `pubDate`, Atom
    `published`, JSON Feed `date_published`)."""

    url: str
    modified: datetime | None = None
    published: datetime | None = None
    modified_raw: str | None = None
    # "day", "month" or "year" for a date written only that far ("2024-11"):
    # the datetime above is then the start of that period.
    modified_precision: str | None = None
    published_precision: str | None = None

    @property
    def latest(self) -> datetime | None:
        """The last instant the entry's dates can name. A date written to the
        day, month or year counts until the end of that period: an edit made
        later in it is then never taken for older than the window or than the
        last fetch (reading its start would skip it)."""
        ends = [period_end(moment, precision) for moment, precision in
                ((self.modified, self.modified_precision), (self.published, self.published_precision))
                if moment is not None]
        return max(ends) if ends else None


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

# Zone names seen in feed dates, in hours east of UTC: RFC 822's, the US
# generic ones, Europe's, and those of the outlets' region. "AST" is Arabia
# Standard Time (UTC+3) here, not the Atlantic one of Python's email module:
# that is what Gulf sites mean by it. CST keeps its RFC 822 meaning (US
# Central); IST (India, Israel, Ireland) is left out. A zone not listed is
# read as UTC.
_ZONE_HOURS = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "west": 1, "bst": 1,
    "cet": 1, "met": 1, "cest": 2, "mest": 2, "eet": 2, "eest": 3, "msk": 3,
    "ast": 3, "trt": 3, "eat": 3, "irst": 3.5, "gst": 4, "pkt": 5,
    "edt": -4, "est": -5, "et": -5, "cdt": -5, "cst": -6, "ct": -6,
    "mdt": -6, "mst": -7, "mt": -7, "pdt": -7, "pst": -8, "pt": -8,
}
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
# W3C datetime (the ISO 8601 profile of sitemaps and Atom): YYYY, YYYY-MM,
# YYYY-MM-DD, then a time to the minute, second or fraction, with its zone.
_W3C_TIME = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d\d)(?:-(?P<day>\d\d)"
    r"(?:[T ](?P<hour>\d\d):(?P<minute>\d\d)(?::(?P<second>\d\d)(?:[.,](?P<fraction>\d+))?)?"
    r"\s*(?P<zone>Z|[+-]\d\d(?::?\d\d)?)?)?)?)?",
    re.IGNORECASE,
)
# RFC 822 / 2822 as feeds write it: optional day name, "19 Nov" or "Nov 19",
# 2- or 4-digit year, optional time, and a zone as an offset (+0300, +03:00,
# +3), a name (EST, CET), or both (GMT+3, UTC+03:00).
_RFC822_TIME = re.compile(
    r"(?:[a-z]+\.?,?\s*)?"
    r"(?:(?P<day>\d{1,2})[\s-]+(?P<month>[a-z]{3,})\.?|(?P<month_first>[a-z]{3,})\.?\s+(?P<day_second>\d{1,2})),?"
    r"[\s-]+(?P<year>\d{4}|\d\d),?"
    r"(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d\d)(?::(?P<second>\d\d))?"
    r"(?:\s*(?P<zone_name>(?:etc/)?[a-z]{1,5})?\s*(?P<offset>[+-]\d{1,2}(?::?\d\d)?)?))?",
    re.IGNORECASE,
)
_RFC822_COMMENT = re.compile(r"\([^)]*\)")  # "+0300 (Arabia Standard Time)"


@functools.lru_cache(maxsize=64)  # a feed writes the same zone all along
def _offset(text: str) -> timezone | None:
    """A zone from its offset: +0300, +03:00, +03, +3, -0930; None out of range."""
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits), 0) if len(digits) <= 2 else (int(digits[:-2]), int(digits[-2:]))
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _second(text: str | None) -> int:
    second = int(text or 0)
    return 59 if second == 60 else second  # a leap second


def _w3c_time(text: str) -> tuple[datetime, str | None] | None:
    found = _W3C_TIME.fullmatch(text)
    if not found:
        return None
    part = found.groupdict()
    if part["hour"] is None:
        precision = "day" if part["day"] else "month" if part["month"] else "year"
        return datetime(int(part["year"]), int(part["month"] or 1), int(part["day"] or 1), tzinfo=timezone.utc), precision
    zone = timezone.utc
    if part["zone"] and part["zone"].upper() != "Z":
        zone = _offset(part["zone"])
        if zone is None:
            return None
    micro = int((part["fraction"] or "0")[:6].ljust(6, "0"))
    moment = datetime(int(part["year"]), int(part["month"]), int(part["day"]), int(part["hour"]),
                      int(part["minute"]), _second(part["second"]), micro, tzinfo=zone)
    return moment, None if part["fraction"] else "second" if part["second"] else "minute"


def _rfc822_time(text: str) -> tuple[datetime, str | None] | None:
    found = _RFC822_TIME.fullmatch(_RFC822_COMMENT.sub("", text).strip())
    if not found:
        return None
    part = found.groupdict()
    month = _MONTHS.get((part["month"] or part["month_first"])[:3].lower())
    if month is None:
        return None
    year = int(part["year"])
    if len(part["year"]) == 2:  # RFC 2822: 00-49 are 2000-2049
        year += 2000 if year < 50 else 1900
    day = int(part["day"] or part["day_second"])
    if part["hour"] is None:
        return datetime(year, month, day, tzinfo=timezone.utc), "day"
    if part["offset"]:
        zone = _offset(part["offset"])
        if zone is None:
            return None
    else:
        name = (part["zone_name"] or "").lower().removeprefix("etc/")
        zone = timezone(timedelta(hours=_ZONE_HOURS.get(name, 0)))
    return datetime(year, month, day, int(part["hour"]), int(part["minute"]),
                    _second(part["second"]), tzinfo=zone), "second" if part["second"] else "minute"


def parse_period(text: str | None) -> tuple[datetime, str | None] | None:
    """A feed or sitemap time (W3C/ISO 8601 or RFC 822) as an aware UTC
    datetime and its precision: "year", "month" or "day" for a date written
    only that far ("2003", "2003-12", "2003-12-13", "Sat, 13 Dec 2003"),
    "minute" or "second" for a time in whole minutes or seconds ("18:30Z",
    "18:30:05Z"), the datetime then being the start of that period; None for
    a time with a fraction of a second. None when absent or unreadable."""
    text = " ".join((text or "").split())
    if not text:
        return None
    try:
        read = _w3c_time(text) or _rfc822_time(text)
        if read is None:  # asctime and other shapes the standard library knows
            moment = email.utils.parsedate_to_datetime(text)
            read = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)), "second"
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    moment, precision = read
    return moment.astimezone(timezone.utc), precision


def parse_time(text: str | None) -> datetime | None:
    """The UTC instant a feed or sitemap time names (the start of a date or
    month written alone); None when absent or unreadable. See `parse_period`."""
    period = parse_period(text)
    return period[0] if period else None


def period_end(start: datetime, precision: str | None) -> datetime:
    """The last instant a time of that precision can name (the start of the
    next period). A time to the minute or second names that whole minute or
    second: an edit at 18:30:40 is written "18:30". A date written alone
    names a day of an unknown zone, whose end may come as late as its end in
    UTC-12: 12 hours after it ends in UTC."""
    if precision is None:
        return start
    if precision in ("minute", "second"):
        return start + timedelta(**{precision + "s": 1})
    if precision == "day":
        following = start + timedelta(days=1)
    elif precision == "month":
        following = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    else:
        following = start.replace(year=start.year + 1)
    return following + timedelta(hours=12)


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


def _is_http_url(text: str) -> bool:
    """An absolute http(s) URL."""
    return _HTTP_URL.match(text) is not None


def robots_sitemaps(text: str) -> list[str]:
    """The URLs of the `Sitemap:` lines of a robots.txt (also spelt
    `Site-map:`, which Google accepts), once each. Only absolute http(s) URLs:
    the protocol asks for them, and a relative one cannot be requested."""
    found = _ROBOTS_SITEMAP.findall((text or "").lstrip("\ufeff"))
    return list(dict.fromkeys(url for url in found if _is_http_url(url)))


def _unpack(body: bytes, max_size: int = 0) -> bytes:
    """The bytes of a file, gunzipped if it is gzipped, without the whitespace
    and UTF-8 byte order mark before its content. Raises ValueError for a
    broken gzip file or one that unpacks to more than `max_size` bytes."""
    if body[:2] == _GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
                body = stream.read(max_size + 1 if max_size else -1)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"broken gzip file: {exc}") from None
        if max_size and len(body) > max_size:
            raise ValueError(f"gunzipped file over {max_size} bytes")
    return body.lstrip().removeprefix(_UTF8_BOM).lstrip()


def _is_xml(body: bytes) -> bool:
    return body.startswith((b"<", *_UTF16_BOMS))


def _is_json(body: bytes) -> bool:
    return body.startswith(b"{")


class _ClosedCount:
    """Parser target: how many elements of the given local names an end tag
    closed. At the end of a cut file libxml2's recovery leaves the elements
    still open without one, so they are not counted."""

    def __init__(self, names: tuple[str, ...]):
        self.names = names
        self.count = 0

    def start(self, tag, attrib):
        pass

    def end(self, tag):
        if tag.rsplit("}", 1)[-1] in self.names:
            self.count += 1

    def close(self) -> int:
        return self.count


@dataclass
class _XmlFile:
    body: bytes  # as parsed
    root: etree._Element
    clean: bool  # parsed without an error: a whole, well-formed file

    def elements(self, *names: str) -> list:
        """The elements of these local names (any depth, document order) that
        are whole: in a cut file the last one may be open, cut in the middle."""
        found = list(self.root.iter(*(f"{{*}}{name}" for name in names)))
        if self.clean:
            return found
        closed = etree.fromstring(self.body, etree.XMLParser(target=_ClosedCount(names), **_XML_OPTIONS))
        return found[:closed]


def _parse_xml(body: bytes) -> tuple[etree._Element | None, bool]:
    parser = etree.XMLParser(**_XML_OPTIONS)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None, False
    return root, not parser.error_log.filter_from_errors()


def _read_xml(body: bytes) -> _XmlFile | None:
    """An XML file, or None. Entities are never expanded nor fetched
    (billion laughs, XXE). A file with errors is read as far as libxml2 can
    recover, after escaping its stray `&`s: a URL query written unescaped,
    whose `&name=` recovery would cut out. Not in UTF-16, where the bytes
    of `&amp;` are other ones."""
    root, clean = _parse_xml(body)
    if not clean and b"&" in body and not body.startswith(_UTF16_BOMS):
        escaped = _STRAY_AMPERSAND.sub(lambda found: found[0] if found[0][:1] == b"<" else b"&amp;", body)
        if escaped != body:
            body = escaped
            root, clean = _parse_xml(body)
    return None if root is None else _XmlFile(body, root, clean)


def _local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_texts(element) -> dict[str, str]:
    """The first text of each kind of child, by local name (any namespace).
    Children only: an Atom entry's `<source>` has an `<updated>` of its own,
    that of another feed. A child with nodes inside (an entity left
    unexpanded) has no whole text: `<loc>https://x/&e;</loc>` is not https://x/."""
    texts = {}
    for child in element:
        text = (child.text or "").strip()
        if text and not len(child):
            texts.setdefault(_local(child), text)
    return texts


def _entry(url: str, modified_raw: str | None = None, published_raw: str | None = None) -> Entry:
    modified = parse_period(modified_raw) or (None, None)
    published = parse_period(published_raw) or (None, None)
    return Entry(url=url, modified=modified[0], modified_precision=modified[1], modified_raw=modified_raw,
                 published=published[0], published_precision=published[1])


def parse_sitemap(body: bytes, max_size: int = 0) -> Sitemap:
    """A sitemap index or URL set (XML), a plain-text sitemap (one URL a
    line), or a feed named as a sitemap (RSS, Atom or JSON Feed: sitemaps.org
    and robots.txt `Sitemap:` lines allow feeds); possibly gzipped. Only whole
    `<url>` / `<sitemap>` entries of a cut file count. A file that is none of
    these gives an empty URL set; see `_unpack` for gzip errors."""
    body = _unpack(body, max_size)
    if _is_json(body):
        return Sitemap(is_index=False, entries=_json_feed_entries(body))
    if not _is_xml(body):
        return Sitemap(is_index=False, entries=_text_sitemap_entries(body))
    document = _read_xml(body)
    if document is None:
        return Sitemap(is_index=False)
    if _local(document.root) in _FEED_ROOTS:
        return Sitemap(is_index=False, entries=_xml_feed_entries(document))
    is_index = _local(document.root) == "sitemapindex"
    sitemap = Sitemap(is_index=is_index)
    for node in document.elements("sitemap" if is_index else "url"):
        texts = _child_texts(node)
        loc = texts.get("loc")
        if loc and _is_http_url(loc):
            news_date = next(node.iterdescendants("{*}publication_date"), None)  # in <news:news>
            sitemap.entries.append(_entry(loc, texts.get("lastmod"), news_date.text if news_date is not None else None))
    return sitemap


def _text_sitemap_entries(body: bytes) -> list[Entry]:
    """A plain-text sitemap: one absolute URL a line, in UTF-8 (sitemaps.org);
    other lines are ignored."""
    lines = (line.strip() for line in body.decode("utf-8", "replace").splitlines())
    return [Entry(url=line) for line in lines if _is_http_url(line) and len(line.split()) == 1]


def parse_feed(body: bytes, max_size: int = 0) -> list[Entry]:
    """Entries of an RSS 2.0, RSS 1.0, Atom or JSON feed (possibly gzipped).
    Only whole entries of a cut file count. A file that is not a feed gives
    none; see `_unpack` for gzip errors."""
    body = _unpack(body, max_size)
    if _is_json(body):
        return _json_feed_entries(body)
    document = _read_xml(body) if _is_xml(body) else None
    return _xml_feed_entries(document) if document is not None else []


def _xml_feed_entries(document: _XmlFile) -> list[Entry]:
    entries = []
    for node in document.elements("item", "entry"):
        texts = _child_texts(node)
        if _local(node) == "item":
            url = texts.get("link")
            if not url:
                guid = next((c for c in node if _local(c) == "guid"), None)
                if guid is not None and guid.get("isPermaLink", "true") != "false":
                    url = texts.get("guid")
            published_raw = texts.get("pubdate") or texts.get("date") or texts.get("published")
        else:
            links = [c for c in node if _local(c) == "link" and c.get("href")]
            page = next((c for c in links if c.get("rel", "alternate") == "alternate"), None)
            url = page.get("href").strip() if page is not None else None
            published_raw = texts.get("published") or texts.get("issued")
        if url and _is_http_url(url):
            entries.append(_entry(url, texts.get("updated") or texts.get("modified"), published_raw))
    return entries


def _json_feed_entries(body: bytes) -> list[Entry]:
    """Items of a JSON Feed (https://jsonfeed.org, versions 1 and 1.1): their
    `url`, else `external_url`, with `date_modified` and `date_published`."""
    try:
        feed = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        return []
    items = feed.get("items") if isinstance(feed, dict) else None
    entries = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        urls = (item.get(key) for key in ("url", "external_url"))
        url = next((u.strip() for u in urls if isinstance(u, str) and _is_http_url(u.strip())), None)
        if url:
            dates = [item.get(key) for key in ("date_modified", "date_published")]
            entries.append(_entry(url, *(d if isinstance(d, str) else None for d in dates)))
    return entries


# --- HTML pages -------------------------------------------------------------------


def clean_link(href: str | None, base: Response, *, page: bool = True) -> str | None:
    """An absolute http(s) URL without fragment, as Scrapy sends it; None for
    other schemes and, for a `page` link, for files that are not pages (a
    declared feed may well be /feed.json)."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    url = urldefrag(base.urljoin(href))[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or (page and _FILE_EXTENSION.search(parts.path)):
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
            url = clean_link(link.attrib["href"], response, page=False)
            if url and url not in found.feeds:
                found.feeds.append(url)
    return found


def declares_article(response: Response) -> bool:
    """Whether an HTML page declares itself an article: a JSON-LD object of an
    article type (NewsArticle, Article, BlogPosting, ...) or og:type article."""
    if not hasattr(response, "xpath"):
        return False
    og_type = response.xpath("//meta[@property='og:type']/@content").get(default="")
    if og_type.strip().lower() == "article":
        return True
    for script in response.xpath("//script[@type='application/ld+json']/text()").getall():
        # Read as leniently as the extraction reads it (comments, trailing commas).
        if any(is_article_type(name) for obj in walk_json_ld(load_json_ld(script)) for name in types_of(obj)):
            return True
    return False
