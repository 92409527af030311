"""Whether a page is one article, and if not, what kind of page it is.

A folder of saved pages has no crawl's URL rules to go by: next to the
articles it may hold home pages, section, tag and author listings, search
results, about and contact pages, video galleries. `page_kind` tells them
apart by what a page declares and how it is built, never by its name or
address, and leans to "article": a wrongly skipped article is lost, a
stored listing is only noise.

1. What the page declares. An article object in JSON-LD (the only one, or
   the one naming the page) or `article:published_time`: an article.
   JSON-LD CollectionPage, SearchResultsPage, ProfilePage, AboutPage,
   ContactPage: that kind. A page whose one headline is an about or contact
   heading ("من نحن", "اتصل بنا") is that page, even with `og:type` article
   (WordPress gives its static pages that type too). Then `og:type` article
   or a single microdata article (a listing marks up each teaser as one)
   make an article, `og:type` profile an author page. `og:type` website and
   JSON-LD WebSite or ItemList tell nothing: real articles carry them too.
2. How it is built, for a page that declares neither. A teaser is a
   headline linking to another page with what goes with it (picture, date,
   summary): the largest block around the headline that holds no other
   headline, no prose before it and not much after it. Prose is a block of
   words that are mostly not links; a run is the prose under one parent.
   The body is the longest run outside the teasers that repeat (a
   listing's summaries, related stories). A page with a body is an
   article, and so is one whose headline is followed by a paragraph or two
   before any teaser (a short article). A page with teasers and neither is
   a listing: the home page when it names the site's root as its address,
   search results when its search form holds a query, a video gallery when
   it shows video players. Without teasers or prose, video players make a
   video gallery and a search form a search page. Anything else counts as
   an article, and the text extraction has the last word.

Page chrome (nav, aside, footer, noscript) is left out, unless it holds
most of the page's text (templates that never close one).
"""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.extraction.page import ParsedPage, element_text, first_url, is_article_type, types_of, url_key

ARTICLE = "article"

# JSON-LD types and og:types of pages that are not one article, and the kind each names.
_PAGE_TYPES = {
    "collectionpage": "listing", "searchresultspage": "search", "profilepage": "author",
    "aboutpage": "about", "contactpage": "contact",
}
_OG_TYPES = {"profile": "author"}
# Headlines of the pages a site has about itself.
_SITE_PAGE_HEADLINES = {
    "about": (
        "من نحن", "عن الموقع", "عن الجريدة", "عن الصحيفة", "عن المجلة", "عن القناة", "هيئة التحرير",
        "فريق العمل", "فريق التحرير", "سياسة الخصوصية", "شروط الاستخدام", "الشروط والأحكام",
        "about", "about us", "who we are", "our team", "privacy policy", "terms of use", "terms of service",
        "terms and conditions", "imprint", "impressum",
    ),
    "contact": ("اتصل بنا", "اتصلوا بنا", "تواصل معنا", "راسلنا", "أعلن معنا", "اعلن معنا",
                "contact", "contact us", "advertise", "advertise with us"),
}
_CHROME = ("nav", "aside", "footer", "noscript")
_NOT_TEXT = {"head", "script", "style", "template", "svg", "select", "option", "button", "textarea",
             "iframe", "video", "audio", "object", "map"}
_PLAYERS = {"iframe", "video"}
_INLINE = {
    "a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "code", "del", "em", "font", "i", "img", "ins",
    "kbd", "label", "mark", "picture", "q", "s", "small", "source", "span", "strike", "strong", "sub",
    "sup", "time", "tt", "u", "var", "wbr",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Wrappers that do not end a run of prose: a list in the text, a quote, a table.
_IN_RUN = _INLINE | {"ul", "ol", "li", "dl", "dt", "dd", "blockquote", "center", "table", "tbody",
                     "thead", "tr", "td", "th"}
_SEARCH_QUERY = etree.XPath(
    ".//input[@type='search' or @name='q' or @name='s' or @name='search' or @name='query' or @name='keyword']"
)
_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")

# A block of fewer words is a label, a date line or a caption, not prose.
_PROSE_WORDS = 8
# A block with more link text than this share is a teaser or a link list.
_LINK_SHARE = 0.3
# A run of this many words is an article's body, whatever surrounds it.
_BODY_WORDS = 50
# A short article: this many words of prose after its headline, before any teaser.
_HEADED_WORDS = 25
# Fewer words: a section's name over its teasers or a commenter's, not a headline.
_HEADLINE_WORDS = 2
# A teaser's summary is shorter: a block with more prose holds an article's text.
_TEASER_WORDS = 150


def page_kind(page: ParsedPage) -> str:
    """"article", or what the page is instead: "home", "listing", "search",
    "author", "about", "contact", "video"."""
    return _declared_kind(page) or _Layout(page).kind()


def _declared_kind(page: ParsedPage) -> str | None:
    if page.meta("article:published_time") or _declares_article(page):
        return ARTICLE
    for obj in page.json_ld:
        for name in types_of(obj):
            if name in _PAGE_TYPES:
                return _PAGE_TYPES[name]
    site_page = _site_page(page)
    if site_page:
        return site_page
    og_type = page.meta("og:type").lower()
    if og_type == "article" or _microdata_articles(page) == 1:
        return ARTICLE
    return _OG_TYPES.get(og_type)


def _declares_article(page: ParsedPage) -> bool:
    """One JSON-LD article, or one of several (a listing's teasers) that
    names the page's own address."""
    articles = [obj for obj in page.json_ld if any(map(is_article_type, types_of(obj)))]
    if len(articles) < 2:
        return bool(articles)
    here = {url_key(u) for u in (*page.canonical_links, page.meta("og:url"), page.url)} - {""}
    return any(url_key(first_url(a.get(key))) in here for a in articles for key in ("mainEntityOfPage", "url"))


def _microdata_articles(page: ParsedPage) -> int:
    """How many microdata articles the page has: a listing marks up each teaser as one."""
    return sum(
        any(is_article_type(t.rstrip("/").rsplit("/", 1)[-1].lower()) for t in scope.get("itemtype").split())
        for scope in page.tree.iterfind(".//*[@itemscope][@itemtype]")
    )


def _site_page(page: ParsedPage) -> str | None:
    """"about" or "contact" when the page's one `<h1>` says it is that page."""
    h1s = [text for text in map(element_text, page.tree.iter("h1")) if text]
    if len(h1s) == 1:
        key = _letters(h1s[0])
        for kind, headlines in _SITE_PAGE_KEYS.items():
            if key in headlines:
                return kind
    return None


def _letters(text: str) -> str:
    return " ".join(_LETTERS.findall(text.casefold()))


_SITE_PAGE_KEYS = {kind: set(map(_letters, headlines)) for kind, headlines in _SITE_PAGE_HEADLINES.items()}


class _Layout:
    """The headings, prose and players of a page's content, in document order."""

    def __init__(self, page: ParsedPage):
        root = page.tree.find("body")
        self.root = root if root is not None else page.tree
        self.base = next((u for u in (*page.canonical_links, page.meta("og:url"))
                          if u.startswith(("http://", "https://"))), page.url)
        self.here = {_key(self.base), _key(page.url)}
        self.order: dict = {}
        self.headings: list = []  # (heading, whether it links to another page)
        self.prose: list = []  # (block, words)
        self.players = 0
        self.search_forms: list = []
        self._read()

    def _read(self) -> None:
        total = len(self.root.text_content())
        chrome = {e for e in self.root.iter(*_CHROME) if 2 * len(e.text_content()) < total}
        stack = [self.root]
        while stack:
            element = stack.pop()
            self.order[element] = len(self.order)
            tag = element.tag
            if tag in _HEADINGS:
                self.headings.append((element, self._links_away(element)))
                continue
            if tag in _PLAYERS:
                self.players += 1
            elif tag == "form" and _SEARCH_QUERY(element):
                self.search_forms.append(element)
            if tag in _NOT_TEXT:
                continue
            if tag not in _INLINE:
                words, link_words = _own_words(element)
                if words >= _PROSE_WORDS and link_words <= _LINK_SHARE * words:
                    self.prose.append((element, words))
            stack.extend(child for child in reversed(element) if isinstance(child.tag, str) and child not in chrome)

    def _links_away(self, heading) -> bool:
        link = next(heading.iterancestors("a"), None)
        if link is not None:
            return self._away(link.get("href"))
        words = len(_WORD.findall(heading.text_content()))
        linked = sum(len(_WORD.findall(a.text_content())) for a in heading.iter("a") if self._away(a.get("href")))
        return bool(words) and 2 * linked >= words

    def _away(self, href: str | None) -> bool:
        href = (href or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            return False
        return _key(urljoin(self.base, href)) not in self.here

    def kind(self) -> str:
        headline = self._headline()
        teasers = self._teasers(headline)
        shapes = Counter(teasers.values())
        repeated = {teaser for teaser, shape in teasers.items() if shapes[shape] > 1}
        own = [(e, words) for e, words in self.prose if e not in repeated and repeated.isdisjoint(e.iterancestors())]
        runs: Counter = Counter()
        for element, words in own:
            parent = element.getparent()
            while parent is not None and parent.tag in _IN_RUN:
                parent = parent.getparent()
            runs[parent] += words
        if max(runs.values(), default=0) >= _BODY_WORDS:
            return ARTICLE
        if headline is not None and self._words_after(headline, teasers, own) >= _HEADED_WORDS:
            return ARTICLE
        if teasers:
            if any(_has_query(form) for form in self.search_forms):
                return "search"
            if self._names_site_root():
                return "home"
            return "video" if self.players >= 2 else "listing"
        if not runs:
            if self.players >= 2:
                return "video"
            if self.search_forms:
                return "search"
        return ARTICLE

    def _headline(self):
        """The page's one `<h1>` that does not link to another page; on a page
        without one (its `<h1>` is the logo), its first such `<h2>`."""
        h1s = [h for h, away in self.headings if h.tag == "h1" and not away]
        if h1s:
            return h1s[0] if len(h1s) == 1 else None
        return next((h for h, away in self.headings if h.tag == "h2" and not away), None)

    def _teasers(self, headline) -> dict:
        """Each headline that links away, as the largest block around it that
        holds no other headline (the page's own neither), no prose before it
        and not more after it than a teaser's summary, with the headline's
        shape (tag and class)."""
        linking = [h for h, away in self.headings if away and len(_WORD.findall(h.text_content())) >= _HEADLINE_WORDS]
        headlines: Counter = Counter(a for h in linking for a in h.iterancestors())
        if headline is not None:
            headlines.update(headline.iterancestors())
        prose: Counter = Counter()
        first_prose: dict = {}  # the order of the first prose block in an element
        for element, words in self.prose:
            for ancestor in element.iterancestors():
                prose[ancestor] += words
                first_prose.setdefault(ancestor, self.order[element])
        teasers = {}
        for heading in linking:
            teaser = heading
            start = self.order[heading]
            for ancestor in heading.iterancestors():
                if (ancestor is self.root or headlines[ancestor] > 1 or prose[ancestor] > _TEASER_WORDS
                        or first_prose.get(ancestor, start) < start):
                    break
                teaser = ancestor
            teasers[teaser] = (heading.tag, heading.get("class", ""))
        return teasers

    def _words_after(self, headline, teasers: dict, own: list) -> int:
        """Words of the page's own prose between its headline and the next teaser."""
        start = self.order[headline]
        end = min((self.order[t] for t in teasers if self.order[t] > start), default=len(self.order))
        return sum(words for element, words in own if start < self.order[element] < end)

    def _names_site_root(self) -> bool:
        parts = urlsplit(self.base)
        return parts.scheme in ("http", "https") and not parts.path.strip("/") and not parts.query


def _own_words(element) -> tuple[int, int]:
    """Words of an element's own text (its inline children's too), and how many are link text."""
    words = len(_WORD.findall(element.text or ""))
    links = 0
    for child in element:
        if isinstance(child.tag, str) and child.tag in _INLINE:
            count = len(_WORD.findall(child.text_content()))
            words += count
            if child.tag == "a":
                links += count
            else:
                links += sum(len(_WORD.findall(a.text_content())) for a in child.iter("a"))
        words += len(_WORD.findall(child.tail or ""))
    return words, links


def _has_query(form) -> bool:
    return any((field.get("value") or "").strip() for field in _SEARCH_QUERY(form))


def _key(url: str) -> str:
    return url_key(url) if url.startswith(("http://", "https://")) else url.split("#", 1)[0]
