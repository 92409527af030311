"""`scrapy report`: the HTML page rendered in a real headless chromium (Debian's
package, driven over the DevTools protocol on a pipe), its screenshot and its
DOM; and what it reads, on SQLite and PostgreSQL."""
from __future__ import annotations

import base64
import io
import json
import os
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from crawler.items import ArticleItem
from crawler.report.data import read_report
from crawler.report.page import PALETTE
from db.session import prepare_database
from db.store import ArticleStore, CrawlRunLog
from tests.crawl_runner import run_scrapy

UTC = timezone.utc
LAST_DAY = datetime(2024, 11, 19, 9, 30, tzinfo=UTC)
STORY_TITLE = "لافروف يزور بكين ويلتقي شي جين بينغ"
HOSTILE_NAME = '<script>alert("x")</script> موقع'


def fill(url: str) -> None:
    """Three outlets over twelve days (one of them with no author nor section),
    an undated article of a site whose name is markup, two runs (one with
    errors, one killed), a story covered by two outlets."""
    engine = prepare_database(url)
    items = []
    for day in range(12):
        for n, outlet in enumerate(("aawsat", "24ae", "khaberain")[: 1 + day % 3]):
            published = LAST_DAY - timedelta(days=day, hours=n)
            items.append(ArticleItem(
                url=f"https://example.com/{outlet}/{day}/{n}", outlet=outlet, title=f"خبر {day} من {outlet}",
                body="كلمة " * (40 + 30 * n), word_count=40 + 30 * n, content_hash=f"{outlet}-{day}",
                published_at=published, authors=["سامي عمارة"] if outlet != "khaberain" else [],
                section="سياسة" if outlet != "khaberain" else None,
            ))
    items.append(ArticleItem(url="https://example.com/undated", outlet="example", outlet_name=HOSTILE_NAME,
                             title="خبر بلا تاريخ", body="نص بلا تاريخ", content_hash="undated"))
    ArticleStore(engine).write_articles(items)
    runs = CrawlRunLog(engine)
    done = runs.start("aawsat", LAST_DAY)
    runs.finish(done, finished_at=LAST_DAY + timedelta(minutes=3), finish_reason="finished",
                counters={"requests": 40, "new": 12}, errors={"http/503": 2, "download/timeout": 1}, stats={})
    runs.start("24ae", LAST_DAY + timedelta(hours=1))  # killed: never finished
    with engine.begin() as connection:
        connection.execute(text("UPDATE articles SET story_id = NULL"))  # only the story below
        story = connection.execute(
            text("INSERT INTO stories (title, created_at, updated_at) VALUES (:t, :at, :at) RETURNING id"),
            {"t": STORY_TITLE, "at": LAST_DAY.isoformat() if connection.dialect.name == "sqlite" else LAST_DAY},
        ).scalar_one()
        connection.execute(text("UPDATE articles SET story_id = :s WHERE url IN (:a, :b)"),
                           {"s": story, "a": "https://example.com/aawsat/1/0", "b": "https://example.com/24ae/1/1"})
    engine.dispose()


def test_report_reads_the_same_figures_on_both_databases(db_url):
    fill(db_url)
    engine = prepare_database(db_url)
    try:
        data = read_report(engine, days=10)
    finally:
        engine.dispose()
    assert data.articles == 25 and data.undated == 1
    assert len(data.days) == 10 and data.days[-1] == LAST_DAY.date()
    assert data.daily["aawsat"][LAST_DAY.date()] == 1 and data.daily["khaberain"][LAST_DAY.date() - timedelta(days=2)] == 1
    assert data.window_articles + data.other_days == 24
    coverage = {c.outlet: c for c in data.coverage}
    assert (coverage["khaberain"].articles, coverage["khaberain"].authors, coverage["khaberain"].section) == (4, 0, 0)
    assert (coverage["aawsat"].articles, coverage["aawsat"].published_at) == (12, 12)
    assert (coverage["example"].articles, coverage["example"].published_at) == (1, 0)
    assert data.outlets["example"].label == HOSTILE_NAME
    assert coverage["khaberain"].average_words == 100 and coverage["khaberain"].short_bodies == 0
    assert [r.spider for r in data.runs] == ["24ae", "aawsat"] and data.runs[0].finished_at is None
    assert data.runs[1].errors == {"http/503": 2, "download/timeout": 1}
    assert [(s.title, s.outlet_count, s.outlets) for s in data.stories] == [(STORY_TITLE, 2, ["24ae", "aawsat"])]


# --- headless chromium over the DevTools protocol ------------------------------------


class Chromium:
    """Headless chromium driven on `--remote-debugging-pipe` (JSON messages
    ending in NUL: commands on its fd 3, answers and events on its fd 4)."""

    def __init__(self, profile: Path):
        binary = shutil.which("chromium")
        if binary is None:
            pytest.fail("chromium not found: `bash scripts/bootstrap --test` installs Debian's package")
        to_browser, self.commands = os.pipe()
        self.answers, from_browser = os.pipe()
        log = profile / "chromium.log"
        self.pid = os.posix_spawn(binary, [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank",
        ], os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, to_browser, 3), (os.POSIX_SPAWN_DUP2, from_browser, 4),
            (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT, 0o644), (os.POSIX_SPAWN_DUP2, 1, 2),
        ])
        os.close(to_browser)
        os.close(from_browser)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def _message(self) -> dict:
        while b"\0" not in self.buffer:
            chunk = os.read(self.answers, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self.next_id += 1
        command = {"id": self.next_id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        os.write(self.commands, json.dumps(command).encode() + b"\0")
        while True:
            message = self._message()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def page(self, method: str, **params) -> dict:
        return self.call(method, self.session, **params)

    def wait_for(self, event: str) -> None:
        while not any(m.get("method") == event for m in self.events):
            self.events.append(self._message())

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        os.close(self.commands)
        os.close(self.answers)
        os.waitpid(self.pid, 0)


PROBE = """JSON.stringify((() => {
  const chart = document.querySelector('#daily-chart');
  const box = chart.getBoundingClientRect();
  const h1 = document.querySelector('h1');
  const block = h1.getBoundingClientRect();
  const words = document.createRange();
  words.selectNodeContents(h1);
  const line = words.getBoundingClientRect();
  return {
    lang: document.documentElement.lang, dir: document.documentElement.dir,
    direction: getComputedStyle(document.body).direction,
    title: document.title, h1: document.querySelector('h1').textContent,
    h1_right_gap: block.right - line.right, h1_left_gap: line.left - block.left,
    chart: {x: box.x + scrollX, y: box.y + scrollY, width: box.width, height: box.height},
    bars: [...chart.querySelectorAll('rect.day-bar')].map(r => [r.dataset.outlet, r.dataset.day, +r.dataset.articles, r.getAttribute('fill')]),
    sections: [...document.querySelectorAll('h2')].map(h => h.textContent),
    runs: document.querySelector('#runs').textContent,
    stories: document.querySelector('#stories').textContent,
    scripts: document.scripts.length,
    external: [...document.querySelectorAll('[src], link[href]')].length,
  };
})())"""


def test_report_renders_in_headless_chromium(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    fill(db_url)
    report = tmp_path / "report.html"
    result = run_scrapy(db_url, "report", "-o", str(report), "--days", "14")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"report written to {report}: 25 articles, 4 outlets, 2 runs" in result.stderr
    html = report.read_text(encoding="utf-8")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # page titles are escaped

    profile = Path(tempfile.mkdtemp(prefix="report-chromium-"))
    browser = Chromium(profile)
    try:
        browser.page("Emulation.setDeviceMetricsOverride", width=1200, height=900, deviceScaleFactor=1, mobile=False)
        browser.page("Page.enable")
        browser.page("Page.navigate", url=report.as_uri())
        browser.wait_for("Page.loadEventFired")
        dom = json.loads(browser.page("Runtime.evaluate", expression=PROBE, returnByValue=True)["result"]["value"])
        browser.page("DOM.enable")
        browser.page("CSS.enable")
        root = browser.page("DOM.getDocument")["root"]["nodeId"]
        heading = browser.page("DOM.querySelector", nodeId=root, selector="h1")["nodeId"]
        fonts = browser.page("CSS.getPlatformFontsForNode", nodeId=heading)["fonts"]
        size = browser.page("Page.getLayoutMetrics")["cssContentSize"]
        shot = browser.page("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        box = dom["chart"]
        clip = browser.page("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                            clip={**box, "scale": 1})
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)

    # Arabic, right to left, laid out from the right; nothing to run or fetch.
    assert (dom["lang"], dom["dir"], dom["direction"]) == ("ar", "rtl", "rtl")
    assert dom["h1"] == dom["title"] == "تقرير الأخبار المجمّعة"
    assert dom["h1_right_gap"] < 2 and dom["h1_left_gap"] > 300  # the heading's words start on the right
    # Its Arabic letters drawn by a font of the stack, not a fallback's missing-glyph boxes.
    assert fonts and all(f["glyphCount"] > 0 for f in fonts), fonts
    assert {f["familyName"] for f in fonts} <= {"Noto Naskh Arabic", "Noto Sans Arabic", "DejaVu Sans"}, fonts
    assert dom["sections"] == ["المقالات حسب المنفذ واليوم", "تغطية الحقول حسب المنفذ", "آخر عمليات الزحف وأخطاؤها",
                               "القصص التي غطتها أكثر المنافذ"]
    assert dom["scripts"] == 0 and dom["external"] == 0
    assert "http/503: 2" in dom["runs"] and "لم تنتهِ" in dom["runs"]
    assert STORY_TITLE in dom["stories"]
    # The chart: a bar per outlet and day with articles in the 14 days, in the outlet's colour.
    assert len(dom["bars"]) == 12 + 8 + 4 and box["width"] > 800 and box["height"] > 200
    assert {(outlet, day, n) for outlet, day, n, _ in dom["bars"]} >= {("aawsat", "2024-11-19", 1),
                                                                        ("khaberain", "2024-11-17", 1)}
    colours = {outlet: fill_ for outlet, _, _, fill_ in dom["bars"]}
    assert colours["aawsat"] == PALETTE[0] and len(set(colours.values())) == 3

    page = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    assert page.width == 1200 and page.height > 900
    assert len(page.getcolors(maxcolors=1 << 24)) > 50  # not blank
    chart = Image.open(io.BytesIO(base64.b64decode(clip["data"]))).convert("RGB")
    counts = {colour: n for n, colour in chart.getcolors(maxcolors=1 << 24)}
    for fill_ in set(colours.values()):
        rgb = tuple(int(fill_[i:i + 2], 16) for i in (1, 3, 5))
        assert counts.get(rgb, 0) > 100, (fill_, counts.get(rgb))
