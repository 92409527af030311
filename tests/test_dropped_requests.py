"""Article requests Scrapy would give up on without a word become rejected
pages with a reason, counted in the run: a crawl over a copy of the 24.ae
fixture site on 127.0.0.1 whose home page also links to redirect loops (A → B
→ A, a page refreshing to itself, two linked URLs redirecting to each other),
a redirect off the site, a chain longer than REDIRECT_MAX_TIMES, a gzip bomb
sent with `Content-Encoding: gzip` and a page over DOWNLOAD_MAXSIZE."""
from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import zlib

import pytest

from crawler.inputs import RAW_PREFIX_BYTES
from tests.crawl_runner import run_crawl
from tests.sites.server import SITES_DIR, FixtureServer, load_expected, route_key

LOOP = ("/article/900001/loop-a", "/article/900002/loop-b")
CROSS = ("/article/900004/cross-a", "/article/900005/cross-b")
REFRESH = "/article/900003/refresh"
OFFSITE = "/article/900006/moved-away"
HOPS = tuple(f"/article/900007/hop-{n}" for n in range(1, 6))
BOMB = "/article/900008/bomb"
HUGE = "/article/900009/huge"
MAX_REDIRECTS = 2


class EncodingServer(FixtureServer):
    """The fixture server, sending the routes in `gzip_routes` with `Content-Encoding: gzip`."""

    def __init__(self, *args, gzip_routes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.gzip_routes = {route_key(path) for path in gzip_routes}

    def _answer(self, host, raw_path, headers):
        key, response, conditional = super()._answer(host, raw_path, headers)
        if key in self.gzip_routes and response.status == 200:
            response.headers["Content-Encoding"] = "gzip"
        return key, response, conditional


def hostile_copy(sites) -> None:
    site = sites / "24.ae"
    shutil.copytree(SITES_DIR / "24.ae", site)
    config = json.loads((site / "routes.json").read_text(encoding="utf-8"))
    routes = config["routes"]
    routes[LOOP[0]] = {"redirect": LOOP[1], "status": 302}
    routes[LOOP[1]] = {"redirect": LOOP[0], "status": 302}
    routes[CROSS[0]] = {"redirect": CROSS[1], "status": 301}
    routes[CROSS[1]] = {"redirect": CROSS[0], "status": 301}
    routes[OFFSITE] = {"redirect": "https://elsewhere.example/story", "status": 301}
    for here, there in zip(HOPS, HOPS[1:]):
        routes[here] = {"redirect": there, "status": 302}
    routes[HOPS[-1]] = {"file": "articles/845230.html"}
    article = (site / "articles" / "845201.html").read_text(encoding="utf-8")
    refresh = article.replace("<head>", f'<head><meta http-equiv="refresh" content="5;url=https://24.ae{REFRESH}">', 1)
    (site / "articles" / "refresh.html").write_text(refresh, encoding="utf-8")
    routes[REFRESH] = {"file": "articles/refresh.html"}
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)  # 200 MB of HTML in about 200 KB
    bomb = deflate.compress(b"<html><body><p>") + b"".join(deflate.compress(b" " * (1 << 20)) for _ in range(200))
    (site / "articles" / "bomb.gz").write_bytes(bomb + deflate.flush())
    routes[BOMB] = {"file": "articles/bomb.gz", "type": "text/html; charset=utf-8"}
    (site / "articles" / "huge.html").write_text(article.replace("<p>", "<p>" + "x" * (11 << 20), 1))
    routes[HUGE] = {"file": "articles/huge.html"}
    (site / "routes.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    links = "".join(f'<a href="{path}">خبر</a>' for path in (LOOP[0], *CROSS, REFRESH, OFFSITE, HOPS[0], BOMB, HUGE))
    home = site / "pages" / "home.html"
    home.write_text(home.read_text(encoding="utf-8").replace("</main>", f"<p>{links}</p></main>"), encoding="utf-8")


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    base = tmp_path_factory.mktemp("dropped")
    hostile_copy(base / "sites")
    db = base / "news.db"
    with EncodingServer(slow_delay=0.1, sites_dir=base / "sites", gzip_routes=[BOMB]) as server:
        result = run_crawl(server, f"sqlite:///{db}", "24.ae", workdir=base,
                           extra=("-a", "sources=pages", "-s", f"REDIRECT_MAX_TIMES={MAX_REDIRECTS}"))
    con = sqlite3.connect(db)
    try:
        rejected = {url: (reason, detail, raw and gzip.decompress(raw)) for url, reason, detail, raw
                    in con.execute("SELECT url, reason, detail, raw_gzip FROM rejected_pages")}
        stored = {url for (url,) in con.execute("SELECT url FROM articles")}
        run = con.execute("SELECT rejected, stats FROM crawl_runs").fetchone()
    finally:
        con.close()
    return {"result": result, "rejected": rejected, "stored": stored, "run": run}


def url(path: str) -> str:
    return f"https://24.ae{path}"


def test_redirect_loops_are_rejected_once_each(crawl):
    assert "Traceback" not in crawl["result"].stderr, crawl["result"].stderr[-3000:]
    rejected = crawl["rejected"]
    loops = {u: detail for u, (reason, detail, _) in rejected.items() if reason == "redirect_loop"}
    # A -> B -> A is seen at B; the page refreshing to itself; of two linked
    # URLs redirecting to each other, the second one answered.
    assert set(loops) - {url(p) for p in CROSS} == {url(LOOP[1]), url(REFRESH)}
    assert len(set(loops) & {url(p) for p in CROSS}) == 1
    assert loops[url(LOOP[1])] == " -> ".join(url(p) for p in (LOOP[0], LOOP[1], LOOP[0]))


def test_other_redirects_that_lead_nowhere_are_rejected_with_their_reason(crawl):
    rejected = crawl["rejected"]
    assert rejected[url(OFFSITE)][0] == "offsite_redirect"
    assert "elsewhere.example" in rejected[url(OFFSITE)][1]
    assert rejected[url(HOPS[MAX_REDIRECTS])][0] == "too_many_redirects"
    assert url(HOPS[-1]) not in crawl["stored"]


def test_a_gzip_bomb_and_a_page_over_the_limit_are_rejected_as_too_large(crawl):
    reason, detail, raw = crawl["rejected"][url(BOMB)]
    assert reason == "too_large" and "DOWNLOAD_MAXSIZE" in detail
    assert raw == b"<html><body><p>" + b" " * (RAW_PREFIX_BYTES - 15)
    assert crawl["rejected"][url(HUGE)][0] == "too_large"
    stats = json.loads(crawl["run"][1])
    assert stats["memusage/max"] < 600 * 1024 * 1024


def test_every_dropped_article_is_counted_and_the_site_is_still_crawled(crawl):
    rejected = crawl["rejected"]
    assert len(rejected) == 7, sorted(rejected)
    rejected_count, stats = crawl["run"][0], json.loads(crawl["run"][1])
    assert rejected_count == 7  # crawl_runs.rejected
    counts = {key.rsplit("/", 1)[1]: n for key, n in stats.items() if key.startswith("articles/24ae/rejected/")}
    assert counts == {"redirect_loop": 3, "offsite_redirect": 1, "too_many_redirects": 1, "too_large": 2}
    # The site's own redirect (two URLs of one article) loses nothing.
    wanted = {a["url"] for a in load_expected("24.ae")["articles"]}
    assert wanted <= crawl["stored"]
