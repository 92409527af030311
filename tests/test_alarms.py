"""Alarms (crawler/alarms): a crawl of an outlet compared with its recent runs.

End to end: the aawsat fixture site crawled by `scrapy crawl` as it is, then
after its template "changed" (tests/sites/changed) and its feed went away: the
second run exits 3, leaves `alerts` rows naming the outlet, the coverage that
dropped and the feed, logs a WARNING, and hands each alarm as JSON to the
notification command and the webhook. The checks themselves are tested on measures built by hand."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scrapy.settings import Settings

from crawler.alarms.checks import Thresholds, evaluate
from crawler.alarms.measures import RunMeasures, http_failures, run_measures
from crawler.alarms.notify import Notifier
from crawler.outlets import by_slug
from tests.crawl_runner import fixture_settings, run_crawl, run_scrapy, window_start
from tests.sites.changed import serve_changed_template
from tests.sites.server import FixtureServer
from tests.test_crawl_fixture_sites import db_rows

HOST = "aawsat.com"


class Webhook:
    """A real HTTP endpoint on 127.0.0.1 that keeps the JSON bodies POSTed to it."""

    def __init__(self):
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/alarms"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    """A normal crawl, then one of the changed template, into one SQLite file."""
    workdir = tmp_path_factory.mktemp("alarms")
    db_url = f"sqlite:///{workdir / 'news.db'}"
    notified = workdir / "notified.jsonl"
    with FixtureServer(slow_delay=0.2) as server, Webhook() as webhook:
        normal = run_crawl(server, db_url, HOST, workdir=workdir, extra=("-s", "LOG_LEVEL=WARNING"))
        normal_alerts = db_rows(db_url, "alerts")
        serve_changed_template(server, HOST)
        server.set_override(HOST, "/feed", status=404)  # the redesign dropped the feed too
        changed = run_crawl(server, db_url, HOST, workdir=workdir, extra=(
            "-s", "LOG_LEVEL=WARNING",
            # Every article asked for again (its sitemap lastmod did not move).
            "-s", "INCREMENTAL_SKIP_KNOWN=False",
            # One earlier run is history enough here (3 by default).
            "-s", "ALARMS_MIN_HISTORY_RUNS=1",
            "-s", f"ALARMS_NOTIFY_COMMAND=cat >> {notified}; echo >> {notified}",
            "-s", f"ALARMS_WEBHOOK_URL={webhook.url}",
        ))
        hooked = list(webhook.bodies)
    lines = notified.read_text(encoding="utf-8").splitlines() if notified.exists() else []
    return {"normal": normal, "normal_alerts": normal_alerts, "changed": changed, "db": db_url,
            "notified": [json.loads(line) for line in lines if line.strip()], "hooked": hooked}


def test_a_normal_crawl_raises_no_alarm(crawls):
    result = crawls["normal"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert crawls["normal_alerts"] == []
    assert "Alarm" not in result.stderr and "alarm:" not in result.stdout


def test_a_crawl_of_the_changed_template_exits_3_with_the_dropped_coverage_in_alerts(crawls):
    result = crawls["changed"]
    assert result.returncode == 3, result.stdout + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    runs = db_rows(crawls["db"], "crawl_runs")
    assert [r["updated"] for r in runs] == [0, 4]  # the new pages were read and stored
    alerts = {row["kind"]: row for row in db_rows(crawls["db"], "alerts")}
    # The date and the section are gone from every page; the title and the text are not.
    assert set(alerts) == {"coverage/published_at", "coverage/section", "entry_point"}, alerts
    for row in alerts.values():
        assert row["outlet"] == "aawsat" and row["run_id"] == runs[1]["id"]
    assert alerts["coverage/published_at"]["measured"] == alerts["coverage/section"]["measured"] == 0.0
    # The declared feed, which answered before.
    assert alerts["entry_point"]["message"] == "https://aawsat.com/feed stopped answering (HTTP 404)"
    assert alerts["coverage/published_at"]["expected"] == 0.5  # the floor (recent: 3 of 4 dated)
    # The section: the outlet's floor is 80%, its recent coverage 100% less the 30% allowed.
    assert alerts["coverage/section"]["expected"] == 0.8
    assert "section in 0 of 4 article pages" in alerts["coverage/section"]["message"]
    for kind, row in alerts.items():
        assert f"WARNING: Alarm for aawsat: {kind}: {row['message']}" in result.stderr
        assert f"alarm: {kind}: {row['message']}" in result.stdout


def test_the_notification_command_and_the_webhook_receive_each_alarm_as_json(crawls):
    alerts = db_rows(crawls["db"], "alerts")
    for received in (crawls["notified"], crawls["hooked"]):
        assert len(received) == len(alerts) == 3
        by_id = {message["id"]: message for message in received}
        for row in alerts:
            message = by_id[row["id"]]
            assert {k: message[k] for k in ("outlet", "kind", "measured", "expected", "message", "run_id")} == \
                {k: row[k] for k in ("outlet", "kind", "measured", "expected", "message", "run_id")}
            assert message["spider"] == "aawsat"


def test_scrapy_runs_shows_the_runs_with_their_alarms(crawls):
    result = run_scrapy(crawls["db"], "runs", "aawsat")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("aawsat")]
    # spider, day, time, duration, new, updated, unchanged, rejected, errors, alarms, finish
    assert [row[4:] for row in rows] == [["0", "4", "0", "0", "0", "3", "finished"],
                                         ["4", "0", "0", "0", "0", "0", "finished"]]
    assert run_scrapy(crawls["db"], "runs", "24ae").stdout.splitlines()[-1] == "no runs"


def test_a_notification_that_fails_is_counted_not_lost(caplog):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    notifier = Notifier("cat > /dev/null; echo no mail server >&2; exit 4",
                        f"http://127.0.0.1:{closed_port}/alarms", timeout=5)
    assert notifier.send({"kind": "articles", "message": "no article stored"}) == 2
    assert "exit status 4: no mail server" in caplog.text and "webhook" in caplog.text


def test_crawlall_judges_each_outlet_and_exits_3_for_the_changed_one(tmp_path):
    with FixtureServer(slow_delay=0.2) as server:
        serve_changed_template(server, HOST)
        result = run_scrapy(f"sqlite:///{tmp_path / 'news.db'}", "crawlall", "-a", f"since={window_start(HOST)}",
                            *fixture_settings(server, tmp_path), "-s", "LOG_LEVEL=WARNING")
    assert result.returncode == 3, result.stdout + result.stderr[-3000:]
    alarm_lines = [line for line in result.stdout.splitlines() if ": alarm: " in line]
    assert alarm_lines and all(line.startswith("aawsat: alarm: coverage/") for line in alarm_lines), alarm_lines
    rows = db_rows(f"sqlite:///{tmp_path / 'news.db'}", "alerts")
    assert {row["outlet"] for row in rows} == {"aawsat"}


# --- the checks, on measures built by hand ------------------------------------------------

LIMITS = Thresholds()


def measures(**values) -> RunMeasures:
    base = dict(stored=40, pages=40, coverage={"title": 40, "body": 40, "published_at": 38, "authors": 20,
                                               "section": 40}, requests=100)
    return RunMeasures(**{**base, **values})


def kinds(alarms) -> list[str]:
    return [alarm.kind for alarm in alarms]


def test_a_usual_run_raises_nothing():
    history = [measures(stored=n) for n in (38, 41, 40)]
    assert evaluate(measures(), history, LIMITS) == []


def test_no_article_or_far_fewer_than_the_recent_median_is_an_alarm():
    history = [measures(stored=n) for n in (38, 41, 40, 500)]
    [none] = evaluate(measures(stored=0, pages=0), history, LIMITS)
    assert (none.kind, none.measured, none.expected) == ("articles", 0, 40.5)
    [few] = evaluate(measures(stored=9), history, LIMITS)
    assert few.kind == "articles" and "below 25% of the recent median of 40.5 (4 runs)" in few.message
    assert evaluate(measures(stored=11), history, LIMITS) == []
    # Without enough history only "none at all" counts.
    assert evaluate(measures(stored=1), history[:2], LIMITS) == []
    assert kinds(evaluate(measures(stored=0, pages=0), [], LIMITS)) == ["articles"]


def test_coverage_below_its_floor_or_fallen_from_its_recent_level():
    history = [measures() for _ in range(3)]
    run = measures(coverage={"title": 40, "body": 40, "published_at": 38, "authors": 4, "section": 40})
    [authors] = evaluate(run, history, LIMITS)  # 50% usually, 10% now: more than 30 points lost
    assert authors.kind == "coverage/authors" and authors.expected == pytest.approx(0.2)
    no_title = measures(coverage={"title": 30, "body": 40, "published_at": 38, "authors": 20, "section": 40})
    assert kinds(evaluate(no_title, [], LIMITS)) == ["coverage/title"]  # 75% < the 90% floor
    # Too few pages to judge a share.
    assert evaluate(measures(stored=2, pages=2, coverage={}), [], LIMITS) == []


def test_rejected_share_names_its_reasons():
    run = measures(stored=30, rejected=10, rejected_reasons={"no_body": 7, "http_503": 3})
    [alarm] = evaluate(run, [], LIMITS)
    assert alarm.kind == "rejected" and alarm.measured == 0.25
    assert alarm.message.endswith("no_body 7, http_503 3")
    assert evaluate(measures(stored=35, rejected=5), [], LIMITS) == []


def test_http_errors_after_retries():
    stats = {"downloader/response_count": 100, "downloader/response_status_count/200": 60, "downloader/response_status_count/503": 30,
             "downloader/response_status_count/404": 10, "retry/reason_count/503 Service Unavailable": 6,
             "downloader/exception_type_count/twisted.internet.error.TimeoutError": 5,
             "retry/reason_count/twisted.internet.error.TimeoutError": 2}
    # 404s are gone pages; retried answers and errors recovered from are not failures.
    assert http_failures(stats) == {"http/503": 24, "download/TimeoutError": 3}
    run = run_measures(stats)
    [alarm] = evaluate(measures(requests=run.requests, http_failures=run.http_failures), [], LIMITS)
    assert alarm.kind == "http_errors" and "27 of 105 requests failed" in alarm.message


def test_a_feed_or_sitemap_that_stopped_answering():
    feed, sitemap, other = "https://x.example/feed", "https://x.example/sitemap.xml", "https://x.example/rss"
    history = [measures(entry_points_answered=[sitemap])]
    run = measures(entry_points_failed={feed: "HTTP 404", sitemap: "no answer", other: "HTTP 500"})
    alarms = evaluate(run, history, LIMITS, declared_entry_points=(feed,))
    # Declared, or answering before: an alarm; never seen to answer: none.
    assert [a.message for a in alarms] == [f"{feed} stopped answering (HTTP 404)",
                                           f"{sitemap} stopped answering (no answer)"]


def test_thresholds_from_settings_and_the_outlet_description():
    settings = Settings({"ALARMS_REJECTED_MAX_SHARE": "0.5", "ALARMS_COVERAGE_FLOORS": {"title": 0.5},
                         "ALARMS_MIN_HISTORY_RUNS": "5"})
    limits = Thresholds.from_settings(settings, by_slug("aawsat").alarms)
    assert limits.rejected_max_share == 0.5 and limits.min_history_runs == 5
    assert limits.coverage_floors == {"title": 0.5, "body": 0.9, "published_at": 0.5, "authors": 0.0,
                                      "section": 0.8}
    with pytest.raises(ValueError, match="unknown alarm threshold 'rejected_share'"):
        Thresholds.from_settings(settings, {"rejected_share": 0.1})
