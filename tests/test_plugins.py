"""The NORMALIZERS setting: ordering, disabling, a user's own plugin, rejection."""
from __future__ import annotations

import pytest
from scrapy.settings import Settings

import crawler.settings as project_settings
from crawler.items import ArticleItem, RejectedPage
from pipelines.base import NormalizationPipeline, Normalizer, RejectItem, build_normalizers


class Shout(Normalizer):
    def normalize(self, item):
        item.title = (item.title or "") + "!"
        return item


class Refuse(Normalizer):
    def normalize(self, item):
        raise RejectItem("refused", "always")


class Broken(Normalizer):
    def normalize(self, item):
        raise ZeroDivisionError("a bug")


def settings(**overrides) -> Settings:
    s = Settings()
    s.setmodule(project_settings, priority="project")
    for key, value in overrides.items():
        s.set(key, value, priority="cmdline")
    return s


def test_builtins_run_in_configured_order():
    names = [type(n).__name__ for n in build_normalizers(settings())]
    assert names == [
        "ArabicTextNormalizer", "BoilerplateNormalizer", "CreditsNormalizer", "DatesNormalizer",
        "SearchFormNormalizer", "ValidationNormalizer", "DedupeNormalizer",
    ]


def test_user_plugin_plugs_in_by_import_path_and_builtin_can_be_disabled():
    chain = build_normalizers(settings(NORMALIZERS={
        "tests.test_plugins.Shout": 150,
        "pipelines.credits.CreditsNormalizer": None,
    }))
    names = [type(n).__name__ for n in chain]
    assert "CreditsNormalizer" not in names
    assert names.index("Shout") == names.index("ArabicTextNormalizer") + 1


def test_pipeline_turns_a_rejection_into_a_rejected_page_with_the_raw_input():
    pipeline = NormalizationPipeline([Shout(), Refuse()], stats=None)
    item = ArticleItem(url="file:///x.txt", title="t", input_ref="file:///x.txt", raw=b"raw bytes")
    result = pipeline.process_item(item)
    assert isinstance(result, RejectedPage)
    assert (result.reason, result.detail, result.raw) == ("refused", "always", b"raw bytes")


def test_a_normalizer_bug_rejects_its_page_instead_of_dropping_it():
    pipeline = NormalizationPipeline([Broken()], stats=None)
    result = pipeline.process_item(ArticleItem(url="file:///x.txt", input_ref="file:///x.txt", raw=b"raw"))
    assert isinstance(result, RejectedPage)
    assert (result.reason, result.detail, result.raw) == ("normalize_error", "ZeroDivisionError: a bug", b"raw")


def test_validation_rejects_empty_body_and_keeps_untitled_articles():
    from pipelines.validate import ValidationNormalizer

    validate = ValidationNormalizer(settings())
    with pytest.raises(RejectItem) as exc:
        validate.normalize(ArticleItem(url="u", title="عنوان", body="قصير جدا"))
    assert exc.value.reason == "no_body"
    body = " ".join(["كلمة"] * 30)
    item = validate.normalize(ArticleItem(url="u", title="  ", body=body))
    assert item.title is None and "no_title" in item.warnings
