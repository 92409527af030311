"""The dedupe key on its own and through the whole chain."""
from __future__ import annotations

from scrapy.settings import Settings

import crawler.settings as project_settings
from crawler.items import ArticleItem
from pipelines.base import build_normalizers, run_normalizers
from pipelines.dedupe import DedupeNormalizer

BODY = ("ناقش وزيرا خارجية روسيا والصين العلاقات الثنائية والصراع في أوكرانيا على هامش قمة "
        "مجموعة العشرين في البرازيل.\n\nووفقاً لمنشور لوزارة الخارجية الروسية على تطبيق تيليغرام.")


def test_same_text_with_other_spacing_gets_the_same_key():
    dedupe = DedupeNormalizer()
    a = dedupe.normalize(ArticleItem(url="a", body=BODY)).content_hash
    b = dedupe.normalize(ArticleItem(url="b", body="  " + BODY.replace(" ", "   ") + "\n")).content_hash
    c = dedupe.normalize(ArticleItem(url="c", body=BODY + " تم.")).content_hash
    assert a == b != c and len(a) == 64


def test_recaptured_text_with_tatweel_and_invisible_marks_matches_through_the_chain():
    settings = Settings()
    settings.setmodule(project_settings)
    chain = build_normalizers(settings)
    plain = run_normalizers(chain, ArticleItem(url="a", title="عنوان", body=BODY))
    noisy_body = BODY.replace("خارجية", "خـارجـية").replace("روسيا", "روس\u200cيا\u200f")
    noisy = run_normalizers(chain, ArticleItem(url="b", title="عنوان آخر", body=noisy_body))
    assert plain.content_hash == noisy.content_hash
