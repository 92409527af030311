"""Reading saved files: gzip, encodings, refusal reasons."""
from __future__ import annotations

import gzip

import pytest

from crawler.inputs import UnreadableInput, check_content, decode_text, maybe_gunzip
from crawler.pages import CAPTURE, HTML, kind_of

ARABIC = "أعلن وزير الخارجية الروسي سيرغي لافروف في بكين اليوم"


@pytest.mark.parametrize("name, kind", [
    ("a.txt", CAPTURE), ("a.HTML", HTML), ("a.htm", HTML), ("a.html.gz", HTML), ("a.json", None),
])
def test_kind_of(name, kind):
    assert kind_of(name) == kind


def test_gzip_is_decompressed_and_corrupt_gzip_is_refused():
    assert maybe_gunzip(gzip.compress(b"<html></html>")) == b"<html></html>"
    with pytest.raises(UnreadableInput) as exc:
        maybe_gunzip(gzip.compress(b"<html></html>")[:12])
    assert exc.value.reason == "corrupt_gzip"


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"), (b" \n\t\n", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (bytes(range(1, 32)) * 20, "binary"),
])
def test_non_text_is_refused(data, reason):
    with pytest.raises(UnreadableInput) as exc:
        check_content(data)
    assert exc.value.reason == reason


def test_encodings():
    assert decode_text(ARABIC.encode("utf-8")) == (ARABIC, "utf-8")
    assert decode_text(b"\xef\xbb\xbf" + ARABIC.encode("utf-8")) == (ARABIC, "utf-8")
    assert decode_text(ARABIC.encode("utf-16")) == (ARABIC, "utf-16")
    assert decode_text(ARABIC.encode("cp1256")) == (ARABIC, "windows-1256")
    with pytest.raises(UnreadableInput) as exc:
        decode_text("Grüße aus Köln, schöne Straße".encode("latin-1"))
    assert exc.value.reason == "undecodable"
