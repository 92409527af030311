"""`scrapy canary` against the fixture sites: it passes on the sites as they
are, and fails (exit 3, an alerts row) on the aawsat site after its template
"changed" (tests/sites/changed). The comparison of the fixture pages with
their expectations, in this process."""
from __future__ import annotations

import json
import shutil

from scrapy.utils.project import get_project_settings

from crawler.alarms.canary import fixture_problems, is_prose
from crawler.outlets import all_outlets, by_slug
from tests.crawl_runner import fixture_settings, run_scrapy, window_start
from tests.sites.changed import serve_changed_template
from tests.sites.server import SITES_DIR, FixtureServer, load_expected
from tests.test_crawl_fixture_sites import db_rows

HOST = "aawsat.com"


def canary(server, tmp_path, *outlets):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    result = run_scrapy(db_url, "canary", *outlets, "-a", f"since={window_start(HOST)}",
                        *fixture_settings(server, tmp_path), "-s", "LOG_LEVEL=WARNING")
    return result, db_url


def test_the_canary_passes_on_every_outlet_of_the_fixture_sites(tmp_path):
    with FixtureServer(slow_delay=0.2) as server:
        result, db_url = canary(server, tmp_path)
        requests = list(server.requests)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert sorted(line.split(":")[0] for line in lines) == sorted(o.slug for o in all_outlets())
    for line in lines:
        assert ": ok: newest article https://" in line and "4 fixture articles as expected" in line, line
    # The newest article of aawsat's feed and sitemaps: 5083410 (2024-11-20 06:10), and it alone.
    aawsat = next(line for line in lines if line.startswith("aawsat:"))
    assert "/5083410-" in aawsat and "published 2024-11-20T06:10:00+00:00" in aawsat
    article_paths = {article["path"] for article in load_expected(HOST)["articles"]}
    fetched = [r.path for r in requests if r.host == HOST and r.path in article_paths]
    # (twice: its first answer is a 500, then the retry)
    assert len(set(fetched)) == 1 and "/5083410-" in fetched[0], fetched
    assert db_rows(db_url, "alerts") == [] and db_rows(db_url) == []  # nothing stored
    assert db_rows(db_url, "crawl_runs") == []


def test_the_canary_fails_on_a_changed_template_with_an_alert(tmp_path):
    with FixtureServer(slow_delay=0.2) as server:
        serve_changed_template(server, HOST)
        result, db_url = canary(server, tmp_path, "aawsat")
    assert result.returncode == 3, result.stdout + result.stderr[-3000:]
    [line] = result.stdout.splitlines()
    assert line.startswith("aawsat: FAILED: newest article https://aawsat.com/العالم/أوروبا/5083410-")
    assert line.endswith(": no published_at, no section"), line
    [alert] = db_rows(db_url, "alerts")
    assert (alert["outlet"], alert["kind"], alert["run_id"]) == ("aawsat", "canary", None)
    assert alert["message"] == line.removeprefix("aawsat: FAILED: ")
    assert f"WARNING: Alarm for aawsat: canary: {alert['message']}" in result.stderr


def test_the_fixture_pages_read_as_expected_and_a_disagreement_is_found(tmp_path):
    settings = get_project_settings()
    for outlet in all_outlets():
        assert fixture_problems(outlet, SITES_DIR, settings) == (4, []), outlet.slug
    # Expectations the parser no longer meets (as after a change of the parser).
    site = tmp_path / HOST
    shutil.copytree(SITES_DIR / HOST, site)
    expected = json.loads((site / "expected.json").read_text(encoding="utf-8"))
    expected["articles"][1]["section"] = "آسيا"
    expected["articles"][1]["body_snippets"].append("نص لم يكتب في المقال")
    (site / "expected.json").write_text(json.dumps(expected, ensure_ascii=False), encoding="utf-8")
    checked, problems = fixture_problems(by_slug("aawsat"), tmp_path, settings)
    assert checked == 4
    assert problems == ["fixture 5083127.html: section 'أوروبا', expected 'آسيا'",
                        "fixture 5083127.html: body lacks 'نص لم يكتب في المقال'…"]


def test_a_body_of_prose():
    sentence = "قالت أوكرانيا الاثنين إن صاروخا روسيا أصاب سفينة مدنية في ميناء أوديسا"
    assert is_prose("\n\n".join([sentence] * 3), 20) is None
    assert is_prose(sentence, 20) == "body of 12 words (at least 20)"
    menu = "\n".join(["الرئيسية", "العالم", "اقتصاد رياضة", "من نحن"] * 5 + [sentence])
    assert is_prose(menu, 20).startswith("body not prose (12 of 42 words")
