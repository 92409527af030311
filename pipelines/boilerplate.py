"""Line-level boilerplate removal for article bodies, whatever their source.

A page's text carries more than the article: "read also" links with the
headline they introduce, share bars, "Loading..." placeholders, navigation
menus, remnants of embedded tweets, and, after the article, related-article
blocks, comment forms and policies, "back to top" buttons and the copyright
footer. This module recognises those lines; the capture
parsers reuse the same helpers, so each rule lives here once.

The phrase lists are data (module-level tuples) so they can be extended.
Phrases are matched on whole lines or at the start of a line, never inside a
sentence, and spelling variants (hamza on alef or not, `ى`/`ي`, `ة`/`ه`,
tanween and other diacritics, tatweel) are accepted: `اقرأ أيضاً`,
`إقرأ أيضا` and `اقرا ايضا` are one phrase.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from crawler.items import ArticleItem
from pipelines.arabic import fold_for_search, fold_letters
from pipelines.base import Normalizer

# Lines that introduce a related story: the headline on the same line or the
# next one goes with them.
RELATED_LINK_PHRASES = (
    "اقرأ أيضاً", "اقرأ المزيد", "اقرأ كذلك", "اقرأ ايضاً", "شاهد أيضاً", "شاهد ايضاً",
    "طالع أيضاً", "طالع المزيد", "Read also", "Read more", "See also",
)
# Headings after which nothing belongs to the article (related cards, comments, footer).
END_SECTION_HEADINGS = (
    "مقالات ذات صلة", "أخبار ذات صلة", "مواضيع ذات صلة", "موضوعات ذات صلة",
    "مقالات مشابهة", "أخبار مشابهة", "مقالات متعلقة", "أخبار متعلقة",
    "قد يعجبك أيضاً", "قد يهمك أيضاً", "الأكثر قراءة", "الأكثر مشاهدة",
    "اترك تعليقاً", "اترك رداً", "أضف تعليق", "أضف تعليقاً", "أضف تعليقك", "التعليقات",
    "تعليقات القراء", "تعليقات الزوار",
    "زر الذهاب إلى الأعلى", "الذهاب إلى الأعلى", "العودة للأعلى", "العودة إلى الأعلى",
    "Related articles", "Related",
)
# `label: values` lines that follow the article (tags, keywords).
END_SECTION_LABELS = ("كلمات دلالية", "الكلمات الدلالية", "كلمات مفتاحية", "الكلمات المفتاحية", "الوسوم")
# Short headings that start like this end the article too: "المزيد من سياسة",
# "أضف تعليقك على الخبر".
END_SECTION_HEADING_PREFIXES = (
    "المزيد من", "اقرأ المزيد من", "More from",
    "أضف تعليق", "أضف تعليقاً", "أضف تعليقك", "اكتب تعليقك", "أرسل تعليقك",
)
# The notice of a comment form, whatever follows it on the line.
COMMENT_NOTICE_PREFIXES = ("لن يتم نشر عنوان بريدك الإلكتروني", "Your email address will not be published")
# A comment policy opens on the comments and disclaims them: they "express the
# opinion of" their writers, or not that of the site (`جميع التعليقات تعبر عن
# رأي أصحابها`, `التعليقات المنشورة لا تعبر عن رأي الموقع`). The owner words
# keep a news sentence about comments (`... لا تعبر عن رأي الشعب`) out.
COMMENT_WORDS = ("التعليقات", "تعليقات", "التعليق")
OPINION_OWNERS = (
    "أصحابها", "صاحبها", "كاتبيها", "كتابها", "كاتبها", "أصحاب التعليقات",
    "الموقع", "إدارة الموقع", "الصحيفة", "الجريدة", "المجلة", "البوابة", "الشبكة", "الناشر",
)
COMMENT_POLICY_MAX_WORDS = 30
# The copyright footer: `جميع الحقوق محفوظة © 2013`, `Copyright © 2013 ...`.
RIGHTS_RESERVED_PHRASES = (
    "جميع الحقوق محفوظة", "كافة الحقوق محفوظة", "الحقوق محفوظة", "حقوق النشر محفوظة",
    "حقوق الطبع محفوظة", "حقوق الطبع والنشر محفوظة", "All rights reserved",
)
COPYRIGHT_MAX_WORDS = 20
# Navigation: section names, as menus list them (`الرئيسية | أخبار | رياضة`, or
# one per line). A menu item is short; it is a known name, or starts with one
# (`أخبار محلية`).
NAVIGATION_NAMES = (
    "الرئيسية", "الصفحة الرئيسية", "أخبار", "الأخبار", "آخر الأخبار", "محليات", "محلي", "محلية",
    "عربي", "عربية", "دولي", "دولية", "عالمي", "العالم", "سياسة", "اقتصاد", "أعمال", "مال وأعمال",
    "رياضة", "ثقافة", "فن", "فنون", "منوعات", "مجتمع", "حوادث", "تكنولوجيا", "تقنية", "علوم",
    "صحة", "تعليم", "سياحة", "سيارات", "المرأة", "مرأة", "أسرة", "مقالات", "رأي", "آراء", "كتاب",
    "الكتاب", "أعمدة", "تحقيقات", "تقارير", "حوارات", "ملفات", "دراسات", "فيديو", "صور", "كاريكاتير",
    "الأرشيف", "أرشيف", "اتصل بنا", "اتصلوا بنا", "من نحن", "أعلن معنا", "خريطة الموقع", "عن الموقع",
    "سياسة الخصوصية", "شروط الاستخدام", "بحث", "English", "RSS",
)
MENU_ITEM_MAX_WORDS = 3
MENU_MIN_ITEMS = 3
# Whole lines that are placeholders, not text.
NOISE_LINES = ("Loading...", "Loading", "جار التحميل", "جاري التحميل", "Advertisement", "إعلان")
# Words a share bar is made of; a line of nothing else (glued or not) is a share bar.
SHARE_BAR_WORDS = (
    "شارك الخبر", "شارك المقال", "شارك", "مشاركة", "المشاركة", "Share",
    "Facebook", "Twitter", "LinkedIn", "Email", "E-mail", "WhatsApp", "Telegram",
    "Pinterest", "Reddit", "Messenger", "Print", "Copy link", "X",
    "فيسبوك", "فيس بوك", "تويتر", "واتساب", "واتس اب", "تيليجرام", "تلغرام",
    "لينكد إن", "لينكدإن", "البريد الإلكتروني", "طباعة", "نسخ الرابط", "إكس",
)

# A related headline or a heading is short and does not end like a sentence.
HEADLINE_MAX_WORDS = 20
SENTENCE_ENDINGS = (".", "،", ",", ":", "؛", ";")
# Letters with no space in between for this long are navigation labels glued together.
GLUED_MENU_MIN_LETTERS = 25

_DIACRITIC_OR_TATWEEL = "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]*"
_LETTER_VARIANTS = {"ا": "اأإآٱ", "ي": "يىی", "ه": "هة", "ء": "ءؤئأإ", "ك": "كک"}
_TRAILING_PUNCT = r"[\s:：.…!|\-–—]*"
# A heading may show a count: `التعليقات (3)`.
_COUNT = r"(?:\(\s*\d+\s*\))?"
_YEAR = re.compile(r"[0-9٠-٩]{4}")
_WORD = re.compile(r"\w+")


def phrase_pattern(phrases: Iterable[str]) -> str:
    """A regex alternation matching any of the phrases in any spelling variant.

    Each phrase is folded (diacritics dropped, letter variants unified), then
    every letter accepts its variants and may carry diacritics or tatweel;
    a space accepts any run of spaces.
    """
    alternatives = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        parts = []
        for char in fold_letters(phrase.strip()):
            if char.isspace():
                parts.append(r"\s+")
            else:
                variants = _LETTER_VARIANTS.get(char)
                parts.append(f"[{variants}]" if variants else re.escape(char))
                parts.append(_DIACRITIC_OR_TATWEEL)
        alternatives.append("".join(parts))
    return "(?:" + "|".join(alternatives) + ")"


def _whole_line(phrases: Iterable[str]) -> re.Pattern:
    return re.compile(rf"^\s*{phrase_pattern(phrases)}{_TRAILING_PUNCT}{_COUNT}{_TRAILING_PUNCT}$", re.IGNORECASE)


_RELATED_LINK = re.compile(rf"^\s*{phrase_pattern(RELATED_LINK_PHRASES)}(?P<sep>\s*[:：]|\s+|(?=\w)|$)", re.IGNORECASE)
_END_HEADING = _whole_line(END_SECTION_HEADINGS)
_END_LABEL = re.compile(rf"^\s*{phrase_pattern(END_SECTION_LABELS)}\s*[:：|]", re.IGNORECASE)
_END_HEADING_PREFIX = re.compile(rf"^\s*{phrase_pattern(END_SECTION_HEADING_PREFIXES)}\s", re.IGNORECASE)
_COMMENT_NOTICE = re.compile(rf"^\s*{phrase_pattern(COMMENT_NOTICE_PREFIXES)}", re.IGNORECASE)
_NOISE = _whole_line(NOISE_LINES)
# The comments named in the first three words, then the disclaimer.
_COMMENT_POLICY = re.compile(
    rf"^\W*(?:\S+\s+){{0,2}}و?{phrase_pattern(COMMENT_WORDS)}(?!\w).*?"
    rf"{phrase_pattern(['تعبر', 'يعبر'])}\s+(?:\S+\s+)?{phrase_pattern(['عن'])}\s+"
    rf"{phrase_pattern(['رأي', 'آراء', 'وجهة نظر'])}\s+{phrase_pattern(OPINION_OWNERS)}(?!\w)"
)
_RIGHTS_RESERVED = re.compile(phrase_pattern(RIGHTS_RESERVED_PHRASES), re.IGNORECASE)
_COPYRIGHT_START = re.compile(rf"^\s*(?:copyright\b|(?:©|\(c\))\s*{_YEAR.pattern})", re.IGNORECASE)
_NAVIGATION_KEYS = frozenset(fold_for_search(name) for name in NAVIGATION_NAMES)
_MENU_SEPARATOR = re.compile(r"\s*[|•·]\s*|\s+[-–—/]\s+")
_SHARE_BAR = re.compile(rf"^(?:[\s:：|•·،,\-–/]|{phrase_pattern(SHARE_BAR_WORDS)})+$", re.IGNORECASE)

# Embedded tweets leave their text, a pic.twitter.com link and an attribution
# line: "— Name (@handle) November 18, 2024".
_TWEET_ATTRIBUTION = re.compile(r"^[—–-]\s*.{1,80}\(@\w{1,30}\)\s*.{0,40}\d{4}\s*$")
# An embedded Instagram post leaves these lines.
_INSTAGRAM_LINES = re.compile(r"^(?:View this post on Instagram|A post shared by .{1,80})$", re.IGNORECASE)
_TWEET_LINK = re.compile(r"pic\.twitter\.com/|https?://(?:t\.co|twitter\.com|x\.com)/", re.IGNORECASE)
# Emoji lost in a lossy copy become runs of "?"; kept emoji are symbols.
_LEADING_EMOJI = re.compile(r"^\s*(?:\?{2,}|[\U0001F000-\U0001FAFF\u2600-\u27BF])")
_LATIN = re.compile(r"[A-Za-z]")
_ARABIC = re.compile(r"[\u0621-\u064a]")


def looks_like_headline(line: str, max_words: int = HEADLINE_MAX_WORDS) -> bool:
    """Short and not ending like a sentence: a headline, a heading or a name."""
    text = line.strip()
    return bool(text) and len(_WORD.findall(text)) <= max_words and not text.endswith(SENTENCE_ENDINGS)


# The same lines and menu items are folded again and again: by the capture
# parser and the normalizer, for the title and for each repeat check.
_fold = lru_cache(maxsize=16384)(fold_for_search)


def comparison_key(text: str | None) -> str:
    """Two lines with the same key say the same thing (spelling variants, punctuation)."""
    return _fold(text or "")


def is_comment_policy(line: str) -> bool:
    # The anchored pattern fails fast on most lines; counting words would not.
    return bool(_COMMENT_POLICY.match(line)) and len(_WORD.findall(line)) <= COMMENT_POLICY_MAX_WORDS


def is_copyright_line(line: str) -> bool:
    """`Copyright`/`© 2013` opening a short line, or a rights-reserved phrase
    that opens it or sits by a © or a year (inside a sentence it is text)."""
    text = line.strip()
    if not _COPYRIGHT_START.match(text):
        match = _RIGHTS_RESERVED.search(text)
        if not match or not (match.start() == 0 or "©" in text or _YEAR.search(text)):
            return False
    return len(_WORD.findall(text)) <= COPYRIGHT_MAX_WORDS


def is_end_marker(line: str) -> bool:
    """A line after which nothing belongs to the article."""
    if _END_HEADING.match(line) or _END_LABEL.match(line) or _COMMENT_NOTICE.match(line):
        return True
    if is_comment_policy(line) or is_copyright_line(line):
        return True
    return bool(_END_HEADING_PREFIX.match(line)) and looks_like_headline(line, max_words=6)


def is_noise_line(line: str) -> bool:
    """A placeholder, a share bar or a glued navigation menu."""
    text = line.strip()
    if not text:
        return False
    if _NOISE.match(text) or _SHARE_BAR.match(text):
        return True
    return len(text) >= GLUED_MENU_MIN_LETTERS and text.isalpha()


def _menu_items(line: str) -> list[str] | None:
    """The items of a line that could be (part of) a menu: short names, not sentences."""
    items = [item for item in _MENU_SEPARATOR.split(line.strip()) if item]
    if items and all(looks_like_headline(item, MENU_ITEM_MAX_WORDS) for item in items):
        return items
    return None


def _is_navigation_name(item: str) -> bool:
    key = _fold(item)
    return key in _NAVIGATION_KEYS or key.split(" ", 1)[0] in _NAVIGATION_KEYS


def drop_menus(lines: Sequence[str]) -> list[str]:
    """Remove navigation menus: a run of lines of short items (one line with
    separators, or one item a line) with at least `MENU_MIN_ITEMS` items, half
    of them section names. Lines naming no section at either end of a run (a
    short title next to a menu) are not part of it."""
    drop: set[int] = set()
    run: list[tuple[int, list[str]]] = []

    def close_run() -> None:
        while run and not any(map(_is_navigation_name, run[0][1])):
            run.pop(0)
        while run and not any(map(_is_navigation_name, run[-1][1])):
            run.pop()
        items = [item for _, line_items in run for item in line_items]
        if len(items) >= MENU_MIN_ITEMS and 2 * sum(map(_is_navigation_name, items)) >= len(items):
            drop.update(i for i, _ in run)
        run.clear()

    for i, line in enumerate(lines):
        if not line.strip():
            continue  # paragraph breaks do not end a run
        items = _menu_items(line)
        if items is None:
            close_run()
        else:
            run.append((i, items))
    close_run()
    return [line for i, line in enumerate(lines) if i not in drop]


def drop_page_chrome(lines: Sequence[str]) -> list[str]:
    """Placeholders, share bars and menus: lines of the page around the article."""
    return drop_menus([line for line in lines if not is_noise_line(line)])


def related_link(line: str) -> tuple[bool, str | None]:
    """(is a related link, text to keep). The marker alone gives (True, None):
    its headline is the next line. A glued sentence (`إقرأ المزيدوقال ...`)
    that does not read as a headline is kept without the marker."""
    match = _RELATED_LINK.match(line)
    if not match:
        return False, None
    rest = line[match.end():].strip()
    if not rest:
        return True, None
    if match.group("sep").strip():
        return True, ""
    return True, ("" if looks_like_headline(rest) else rest)


def _next_text_index(lines: Sequence[str], start: int) -> int | None:
    return next((j for j in range(start, len(lines)) if lines[j].strip()), None)


def cut_at_end_marker(lines: Sequence[str]) -> list[str]:
    """Lines before the first end-of-article marker. A marker before any text
    is dropped alone: there is nothing of the article it could end."""
    kept: list[str] = []
    for line in lines:
        if is_end_marker(line):
            if any(k.strip() for k in kept):
                break
            continue
        kept.append(line)
    return kept


def drop_related_links(lines: Sequence[str]) -> list[str]:
    kept: list[str] = []
    skip_headline_at = None
    for i, line in enumerate(lines):
        if i == skip_headline_at:
            continue
        is_link, keep = related_link(line)
        if not is_link:
            kept.append(line)
            continue
        if keep is None:
            j = _next_text_index(lines, i + 1)
            if j is not None and looks_like_headline(lines[j]) and not related_link(lines[j])[0]:
                skip_headline_at = j
        elif keep:
            kept.append(keep)
    return kept


# An embedded post is its text (at most a few lines) above its attribution line.
_MAX_EMBED_TEXT_LINES = 3


def _looks_like_tweet_text(line: str, arabic_page: Callable[[], bool]) -> bool:
    if _TWEET_LINK.search(line) or _LEADING_EMOJI.match(line):
        return True
    # Only on an Arabic page does a mostly Latin line stand out as a quoted post.
    return len(_LATIN.findall(line)) > 2 * len(_ARABIC.findall(line)) and arabic_page()


def drop_embeds(lines: Sequence[str]) -> list[str]:
    """Remove embedded posts: lines with a tweet link, a tweet's attribution
    line with the (few) lines of tweet text above it, Instagram's embed lines."""
    arabic: list[bool] = []  # whether the page is Arabic: counted once, if a post is found

    def arabic_page() -> bool:
        if not arabic:
            text = "\n".join(lines)
            arabic.append(len(_ARABIC.findall(text)) > len(_LATIN.findall(text)))
        return arabic[0]

    drop = set()
    for i, line in enumerate(lines):
        if _TWEET_LINK.search(line) or _INSTAGRAM_LINES.match(line.strip()):
            drop.add(i)
        if _TWEET_ATTRIBUTION.match(line.strip()):
            drop.add(i)
            j, taken = i - 1, 0
            while j >= 0 and taken < _MAX_EMBED_TEXT_LINES:
                if lines[j].strip():
                    if not _looks_like_tweet_text(lines[j], arabic_page):
                        break
                    taken += 1
                drop.add(j)
                j -= 1
    return [line for i, line in enumerate(lines) if i not in drop]


def drop_repeats(lines: Sequence[str], repeated: Iterable[str | None]) -> list[str]:
    """Remove lines that repeat the title or a caption."""
    repeated = [text for text in repeated if text]
    keys = {comparison_key(text) for text in repeated}
    keys.discard("")
    if not keys:
        return list(lines)
    # Folding drops marks and punctuation, never most of a line: a line far
    # longer or shorter than every repeated text cannot match one (and most
    # body paragraphs are not folded at all).
    shortest, longest = min(map(len, repeated)) // 3, 3 * max(map(len, repeated)) + 20
    return [line for line in lines
            if not shortest <= len(line) <= longest or comparison_key(line) not in keys or not line.strip()]


def clean_lines(lines: Sequence[str], *, title: str | None = None, captions: Iterable[str] = ()) -> list[str]:
    """All line-level cleanups; blank lines (paragraph breaks) are kept. The
    page chrome goes first, so a menu above the article is not taken for its
    text by `cut_at_end_marker`."""
    lines = cut_at_end_marker(drop_page_chrome(lines))
    lines = drop_related_links(lines)
    lines = drop_embeds(lines)
    return drop_repeats(lines, [title, *captions])


def join_lines(lines: Iterable[str]) -> str:
    """Lines back to text, with at most one blank line between paragraphs."""
    text = "\n".join(line.strip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class BoilerplateNormalizer(Normalizer):
    """Removes boilerplate lines from the body (see the module docstring)."""

    def normalize(self, item: ArticleItem) -> ArticleItem:
        if item.body:
            cleaned = clean_lines(item.body.split("\n"), title=item.title, captions=item.captions)
            item.body = join_lines(cleaned) or None
        return item
