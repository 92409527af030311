"""Page bytes to text (crawler.extraction.decoding): the declared charset is
checked against the bytes, a wrong one is overruled and reported."""
from __future__ import annotations

import pytest

from crawler.extraction import decoding
from crawler.extraction.decoding import CHARSET_MISMATCH, decode_page
from crawler.extraction.html import extract_html
from pipelines.validate import looks_like_prose

TITLE = "انطلاق مهرجان التمور في الأحساء بمشاركة مئتي مزارع"
FIRST_PARAGRAPH = ("انطلقت مساء أمس فعاليات مهرجان التمور السنوي في محافظة الأحساء، بمشاركة أكثر من "
                   "مئتي مزارع وتاجر يعرضون أصنافاً متعددة من التمور المحلية.")

# A regional news site's article page: head with OpenGraph and JSON-LD, an
# analytics script, navigation, byline, four paragraphs, related links, footer.
PAGE = f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
{{declaration}}
<title>{TITLE} | صحيفة الواحة</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="انطلقت مساء أمس فعاليات مهرجان التمور السنوي في محافظة الأحساء">
<meta property="og:site_name" content="صحيفة الواحة">
<meta property="og:title" content="{TITLE}">
<meta property="article:published_time" content="2024-09-18T19:30:00+03:00">
<link rel="stylesheet" href="/assets/css/main.min.css?v=3.2.1">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"{TITLE}","datePublished":"2024-09-18T19:30:00+03:00",
"author":{{"@type":"Person","name":"محمد العلي"}},"publisher":{{"@type":"Organization","name":"صحيفة الواحة"}}}}</script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}gtag('js',new Date());</script>
</head>
<body class="article-page">
<header><nav class="menu"><a href="/">الرئيسية</a> | <a href="/local">محليات</a> | <a href="/economy">اقتصاد</a>
| <a href="/sport">رياضة</a> | <a href="/opinion">آراء</a></nav></header>
<main id="content">
<article>
<h1>{TITLE}</h1>
<div class="byline">كتب: محمد العلي — <time datetime="2024-09-18T19:30:00+03:00">18 سبتمبر 2024</time></div>
<div class="text">
<p>{FIRST_PARAGRAPH}</p>
<p>وأوضح المشرف على المهرجان أن الفعاليات تستمر عشرة أيام، وتتضمن مزاداً يومياً للتمور ومعرضاً للحرف
اليدوية المرتبطة بالنخيل وبرامج ترفيهية للعائلات.</p>
<p>ويهدف المهرجان إلى دعم المزارعين وتسويق منتجاتهم، والتعريف بأصناف التمور التي تشتهر بها المنطقة
مثل الخلاص والشيشي والرزيز.</p>
<p>وقال أحد المزارعين إن «الإقبال هذا العام أكبر من العام الماضي»، مشيراً إلى أن أسعار الخلاص ارتفعت
بنحو عشرة في المئة.</p>
</div>
</article>
<aside><h2>الأكثر قراءة</h2><ul><li><a href="/a/1">أمطار غزيرة على المنطقة الشرقية</a></li>
<li><a href="/a/2">افتتاح معرض الكتاب</a></li></ul></aside>
</main>
<footer>© 2024 صحيفة الواحة. جميع الحقوق محفوظة.</footer>
</body>
</html>
"""

META_CHARSET = '<meta charset="{}">'
HTTP_EQUIV = '<meta http-equiv="Content-Type" content="text/html; charset={}">'


def html(declaration: str = "") -> str:
    return PAGE.replace("{declaration}", declaration)


def page(encoding: str, declaration: str = "") -> bytes:
    return html(declaration).encode(encoding)


@pytest.fixture
def no_guessing(monkeypatch):
    """charset-normalizer must not run: the declaration agrees with the bytes."""
    def fail(*args, **kwargs):
        raise AssertionError("charset-normalizer ran on a correctly declared page")
    monkeypatch.setattr(decoding, "from_bytes", fail)


# --- the declaration is right ---------------------------------------------------


@pytest.mark.parametrize("encoding, declaration, header", [
    ("utf-8", META_CHARSET.format("utf-8"), None),
    ("utf-8", "", None),
    ("utf-8", "", "utf-8"),
    ("cp1256", HTTP_EQUIV.format("windows-1256"), None),
    ("cp1256", "", "windows-1256"),
])
def test_a_right_declaration_is_used_without_guessing(no_guessing, encoding, declaration, header):
    decoded = decode_page(page(encoding, declaration), header)
    assert decoded.text == html(declaration)
    assert decoded.encoding == encoding and decoded.warning is None


def test_an_ascii_page_declared_latin_1_is_not_a_mismatch(no_guessing):
    body = b"<html><head><meta charset='iso-8859-1'><title>Festival</title></head><body>Dates</body></html>"
    assert decode_page(body) == decoding.Decoded(body.decode(), "cp1252")


def test_a_latin_page_keeps_its_latin_declaration(no_guessing):
    french = ("<html><head><meta charset='iso-8859-1'><title>Fête des dattes à Al-Ahsa</title></head><body>"
              "<p>Le festival a été inauguré hier soir ; près de deux cents exposants y présentent "
              "leurs variétés, et l’on évoque déjà une édition élargie l’année prochaine.</p></body></html>")
    decoded = decode_page(french.encode("cp1252"))
    assert (decoded.text, decoded.encoding, decoded.warning) == (french, "cp1252", None)


def test_a_utf8_page_with_stray_bytes_stays_utf8(no_guessing):
    # A Windows-1252 quote pasted into the CMS, and the last character cut by
    # DOWNLOAD_MAXSIZE: damage, not a wrong declaration.
    body = page("utf-8", META_CHARSET.format("utf-8")).replace("«".encode(), b"\x93", 1)[:-1] + "ع".encode()[:1]
    decoded = decode_page(body)
    assert decoded.encoding == "utf-8" and decoded.warning is None
    assert TITLE in decoded.text and decoded.text.count("\ufffd") == 2


def test_a_byte_order_mark_wins(no_guessing):
    decoded = decode_page(b"\xef\xbb\xbf" + page("utf-8", META_CHARSET.format("windows-1256")), "windows-1256")
    assert decoded.text == html(META_CHARSET.format("windows-1256"))
    assert decoded.warning is None


# --- the declaration is wrong --------------------------------------------------


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO-8859-1", "windows-1252", "latin-1", "latin1"])
@pytest.mark.parametrize("declare", ["meta", "http-equiv", "header"])
def test_a_utf8_page_declared_latin_1(label, declare):
    declaration = {"meta": META_CHARSET.format(label), "http-equiv": HTTP_EQUIV.format(label), "header": ""}[declare]
    decoded = decode_page(page("utf-8", declaration), label if declare == "header" else None)
    assert decoded.text == html(declaration) and "Ø§Ù" not in decoded.text
    assert decoded.encoding == "utf-8" and decoded.warning == CHARSET_MISMATCH


@pytest.mark.parametrize("declaration, header", [
    (META_CHARSET.format("utf-8"), None),
    (HTTP_EQUIV.format("UTF-8"), None),
    ("", "utf-8"),
    # The server's default charset against the page's own (Apache's AddDefaultCharset).
    (HTTP_EQUIV.format("windows-1256"), "ISO-8859-1"),
    (META_CHARSET.format("iso-8859-6"), None),  # ISO-8859-6 leaves bytes the page uses undefined
])
def test_a_windows_1256_page_declared_otherwise(declaration, header):
    decoded = decode_page(page("cp1256", declaration), header)
    assert decoded.text == html(declaration)
    assert decoded.encoding == "cp1256" and decoded.warning == CHARSET_MISMATCH


def test_an_undeclared_windows_1256_page_is_guessed_without_a_warning():
    decoded = decode_page(page("cp1256"))
    assert decoded.text == html("")
    assert decoded.encoding == "cp1256" and decoded.warning is None


def test_a_short_undeclared_windows_1256_page():
    # Too little text for charset-normalizer to see a language: read as Arabic.
    body = "<html><head><title>أخبار العالم</title></head><body><p></p></body></html>".encode("cp1256")
    assert decode_page(body).text == body.decode("cp1256")


def test_an_english_windows_1252_page_declared_utf8():
    # Its only high bytes (quotes, a dash, an accent) read the same in many
    # code pages; Windows-1252 wins the tie.
    english = ("<html><head><meta charset='utf-8'><title>Date festival opens</title></head><body>"
               "<p>The festival’s organisers said “about two hundred” farmers — and one café — took part.</p>"
               "<p>It runs for ten days.</p></body></html>")
    decoded = decode_page(english.encode("cp1252"))
    assert (decoded.text, decoded.encoding, decoded.warning) == (english, "cp1252", CHARSET_MISMATCH)


# --- through the HTML path ----------------------------------------------------------


@pytest.mark.parametrize("encoding, declaration", [
    ("cp1256", META_CHARSET.format("utf-8")),  # was all U+FFFD, rejected as no_body
    ("utf-8", META_CHARSET.format("iso-8859-1")),  # was `Ø§Ù†Ø·Ù„Ø§Ù‚`
])
def test_extract_html_reads_a_misdeclared_page(encoding, declaration):
    item = extract_html(page(encoding, declaration), "https://alwaha.example/local/2024/09/18/dates")
    assert item.title == TITLE
    assert item.body.split("\n\n")[0] == FIRST_PARAGRAPH
    assert looks_like_prose(item.body) and "\ufffd" not in item.body
