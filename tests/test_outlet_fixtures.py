"""Every outlet fixture (tests/fixtures/outlets/<slug>/<version>/<case>): the
page, extracted with the parser version valid at its fetch date and run through
the normalizer chain, gives exactly the stored fields its JSON pins."""
from __future__ import annotations

import pytest

from crawler.outlets import all_outlets, by_slug
from tests.fixtures.outlets.regenerate import (
    FIXTURES, GENERIC_SLUG, NO_VERSION, STORED_FIELDS, discover_cases, parse_fetched_at,
    selected_version, stored_fields, stored_item,
)

CASES = discover_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_page_gives_the_expected_stored_fields(case):
    expected = case.expected()
    fetched_at = parse_fetched_at(expected["fetched_at"])

    # The folder says which parser version the JSON was reviewed for; a new
    # version whose dates cover this fetch date must come with its own cases.
    assert selected_version(expected["fetched_url"], fetched_at) == (case.slug, case.version)

    item = stored_item(case.raw(), expected["fetched_url"], fetched_at)
    assert stored_fields(item) == {name: expected[name] for name in STORED_FIELDS}


def test_every_parser_version_of_every_outlet_has_cases():
    covered = {(case.slug, case.version) for case in CASES}
    wanted = {(outlet.slug, version.name) for outlet in all_outlets() for version in outlet.parser_versions}
    wanted.add((GENERIC_SLUG, NO_VERSION))
    assert wanted <= covered, f"versions without fixtures: {sorted(wanted - covered)}"


def test_fixture_folders_name_real_outlets_and_versions_and_pair_pages_with_json():
    for case in CASES:
        assert case.expected_path.exists(), f"{case.id}: page without JSON"
        if case.slug != GENERIC_SLUG:
            outlet = by_slug(case.slug)
            assert outlet is not None, f"{case.id}: no outlet {case.slug!r}"
            assert case.version in {version.name for version in outlet.parser_versions}
    pages = {case.expected_path for case in CASES}
    orphans = [path for path in FIXTURES.glob("*/*/*.json") if path not in pages]
    assert not orphans, f"JSON without a page: {orphans}"
