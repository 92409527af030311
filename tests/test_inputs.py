"""Reading saved files: gzip, encodings, refusal reasons."""
from __future__ import annotations

import gzip
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)
import pytest

from crawler.inputs import UnreadableInput, check_content, decode_text, maybe_gunzip
from crawler.pages import CAPTURE, HTML, kind_of
from pipelines.arabic import repair_mojibake

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


PAGE_GZ = gzip.compress("<html><body><p>{}</p></body></html>".format(ARABIC * 50).encode())


def test_gzip_members_may_be_padded_with_zero_bytes():
    page = gzip.decompress(PAGE_GZ)
    assert maybe_gunzip(PAGE_GZ + b"\0" * 4 + PAGE_GZ, 10 * len(page)) == page + page


@pytest.mark.parametrize("damaged", [
    PAGE_GZ[:-8] + bytes(4) + PAGE_GZ[-4:],  # the CRC of another text
    PAGE_GZ[:-4] + bytes(4),  # the length of another text
    PAGE_GZ[:-1],  # cut in the trailer
    PAGE_GZ + b"<html>",  # something else after the member
])
def test_a_damaged_gzip_member_is_refused(damaged):
    with pytest.raises(UnreadableInput) as exc:
        maybe_gunzip(damaged)
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


SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed_bytes() -> bytes:
    return next(SEEDS.glob("001_*.txt")).read_bytes()


def test_utf8_capture_with_stray_bytes_stays_utf8():
    # A Windows-1252 quote pasted in and the last character cut by a size
    # limit: read as Windows-1256 the whole capture would become mojibake.
    data = seed_bytes()
    middle = data.index("ا".encode(), len(data) // 2)
    damaged = data[:middle] + b"\x93" + data[middle:] + "ع".encode()[:1]
    text, encoding = decode_text(damaged)
    assert encoding == "utf-8" and text.count("\ufffd") == 2
    assert text.startswith(data[:middle].decode("utf-8"))


def test_windows_1256_capture_is_not_taken_for_damaged_utf8():
    clean = seed_bytes().decode("utf-8")
    cp1256 = clean.encode("cp1256", errors="replace")
    assert decode_text(cp1256) == (cp1256.decode("cp1256"), "windows-1256")


@pytest.mark.parametrize("codec", ["cp1256", "sloppy-windows-1252"])
def test_mojibake_saved_as_utf8_is_left_to_repair_mojibake(codec):
    # A capture whose UTF-8 was once read in a single-byte code page and saved
    # again is valid UTF-8: decoded as it is, repaired by the normalizers.
    clean = seed_bytes().decode("utf-8")
    saved = clean.encode("utf-8").decode(codec).encode("utf-8")
    text, encoding = decode_text(saved)
    assert encoding == "utf-8" and text != clean
    assert repair_mojibake(text) == clean
