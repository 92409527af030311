"""The live spiders (crawler/spiders) on the fixture sites' pages, one callback
at a time, and the crawl's own middlewares (routing, retry backoff)."""
from __future__ import annotations

import asyncio
import subprocess
from datetime import datetime, timezone

import pytest
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

import crawler.settings as project_settings
from crawler.items import ArticleItem, RejectedPage
from crawler.middlewares.backoff import retry_after_seconds
from crawler.middlewares.routing import HOST_HEADER, FixtureRoutingMiddleware
from crawler.outlets import all_outlets
from crawler.spiders.generic import GenericSpider
from crawler.spiders.outlets import OutletSpider
from tests.crawl_runner import run_scrapy
from tests.replay_runner import REPO, SCRAPY
from tests.sites.server import SITES_DIR, Site, load_expected

SINCE = "2024-11-18T12:00:00+00:00"
UTC = timezone.utc


def settings(**overrides) -> dict:
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    return {**values, **overrides}


def outlet_spider(slug: str, *, since: str = SINCE, **setting_overrides):
    cls = next(c for c in OutletSpider.__subclasses__() if c.name == slug)
    crawler = get_crawler(cls, settings(**setting_overrides))
    return cls.from_crawler(crawler, since=since)


def generic_spider(url: str = "https://elyomnew.com/", **setting_overrides):
    crawler = get_crawler(GenericSpider, settings(**setting_overrides))
    return GenericSpider.from_crawler(crawler, url=url, since=SINCE)


def fixture_response(host: str, path: str, cls=HtmlResponse) -> Response:
    site = Site(SITES_DIR / host)
    page = site.page(site.routes[path])
    return cls(url=site.url(path), body=page.body, headers={"Content-Type": page.content_type},
               request=Request(site.url(path)))


def requests_of(results) -> list[Request]:
    return [r for r in results if isinstance(r, Request)]


def by_kind(requests: list[Request], kind: str) -> list[str]:
    return [r.url for r in requests if r.meta.get("discovery") == kind]


# --- the spider list ------------------------------------------------------------


def test_scrapy_list_shows_one_spider_per_outlet_and_generic():
    result = subprocess.run([str(SCRAPY), "list"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    names = result.stdout.split()
    assert names == sorted([o.slug for o in all_outlets()] + ["generic"])
    assert {"24ae", "aawsat", "khaberain", "thenewkhalij", "generic"} == set(names)
    assert "replay" not in names
    assert "several spiders with the same name" not in result.stderr


def test_spider_arguments_are_checked():
    with pytest.raises(ValueError, match="sources"):
        type(outlet_spider("24ae"))(sources="sitemaps,rss")
    with pytest.raises(ValueError, match="url"):
        GenericSpider()
    with pytest.raises(ValueError, match="since"):
        outlet_spider("24ae", since="last week")


# --- discovery through the callbacks ---------------------------------------------


async def _collect(spider):
    return [r async for r in spider.start()]


def test_entry_points_of_an_outlet():
    spider = outlet_spider("24ae")
    starts = asyncio.run(_collect(spider))
    assert by_kind(starts, "robots") == ["https://24.ae/robots.txt"]
    assert by_kind(starts, "feed") == ["https://24.ae/rss.aspx"]
    assert by_kind(starts, "listing") == ["https://24.ae/", "https://24.ae/section/1/"]
    only_feeds = type(spider).from_crawler(spider.crawler, sources="feeds")
    starts = asyncio.run(_collect(only_feeds))
    assert by_kind(starts, "robots") == [] and by_kind(starts, "feed") == ["https://24.ae/rss.aspx"]
    # The home page is read for its feed links only.
    assert by_kind(starts, "listing") == ["https://24.ae/"]


def test_listing_page_leads_to_articles_listings_and_its_next_page():
    spider = outlet_spider("24ae")
    requests = requests_of(spider.parse_listing(fixture_response("24.ae", "/section/1/"), depth=0))
    articles = by_kind(requests, "article")
    expected = load_expected("24.ae")
    deleted = next(p["url"] for p in expected["not_stored"] if p["kind"] == "deleted")
    assert set(articles) == {a["url"] for a in expected["articles"] if "832410" not in a["url"]} | {deleted}
    assert all(r.meta["article"] is True and r.cb_kwargs["depth"] == 1 for r in requests
               if r.meta["discovery"] == "article")
    nxt = [r for r in requests if r.url == "https://24.ae/section/1/?page=2"]
    assert len(nxt) == 1 and nxt[0].cb_kwargs == {"depth": 0, "page": 2}
    followed = {r.url for r in requests}
    for ignored in ("https://24.ae/about", "https://24.ae/videos", "https://24.ae/search",
                    "https://www.facebook.com/24.ae"):
        assert ignored not in followed


def test_pagination_stops_at_the_page_limit():
    spider = outlet_spider("24ae", DISCOVERY_MAX_PAGES=2)
    page_two = requests_of(spider.parse_listing(fixture_response("24.ae", "/section/1/"), depth=0, page=2))
    assert "https://24.ae/section/1/?page=2" not in {r.url for r in page_two}


def test_numbered_page_links_follow_the_outlets_pagination_pattern():
    spider = outlet_spider("aawsat", DISCOVERY_MAX_PAGES=3)
    pager = "".join(f'<a href="/العالم?page={n}">{n + 1}</a>' for n in range(1, 9))
    response = HtmlResponse("https://aawsat.com/العالم", body=f"<html><body>{pager}</body></html>".encode(),
                            encoding="utf-8")
    listings = by_kind(requests_of(spider.parse_listing(response, depth=0)), "listing")
    assert [url.rsplit("=", 1)[1] for url in listings] == ["1", "2", "3"]


def test_links_deeper_than_the_limit_are_not_followed():
    spider = outlet_spider("24ae", DISCOVERY_DEPTH=1)
    path = "/article/845230/دونيتسك-منطقة-ذات-أهمية-قصوى-في-مسار-الحرب"
    results = list(spider.parse_article(fixture_response("24.ae", path), depth=1))
    assert [type(r) for r in results] == [ArticleItem]
    deeper = outlet_spider("24ae", DISCOVERY_DEPTH=3)
    followed = requests_of(deeper.parse_article(fixture_response("24.ae", path), depth=1))
    redirect = load_expected("24.ae")["redirects"][0]["from"]
    assert redirect in by_kind(followed, "article"), "related stories, the old URL form included"
    assert all(r.cb_kwargs["depth"] == 2 for r in followed)


def test_sitemaps_lead_to_recent_articles_with_their_lastmod():
    spider = outlet_spider("24ae")
    index = requests_of(spider.parse_sitemap(fixture_response("24.ae", "/sitemap.xml", TextResponse)))
    assert by_kind(index, "sitemap") == ["https://24.ae/sitemaps/news.xml", "https://24.ae/sitemaps/articles.xml"]
    found = requests_of(spider.parse_sitemap(fixture_response("24.ae", "/sitemaps/articles.xml", TextResponse)))
    window = load_expected("24.ae")["sitemap_window"]
    assert set(window["older_urls"]).isdisjoint(r.url for r in found)
    assert set(window["undated_urls"]) <= {r.url for r in found}
    lastmods = {r.url: r.meta.get("lastmod") for r in found}
    assert "2024-11-19T11:02:00+04:00" in lastmods.values()
    assert all(lastmods[url] is None for url in window["undated_urls"])
    assert spider.crawler.stats.get_value("discovery/skipped_old/sitemap") == 1


def test_the_age_window_follows_the_settings_without_since():
    spider = outlet_spider("24ae", since=None, DISCOVERY_MAX_AGE_DAYS=0)
    assert spider.since is None
    found = requests_of(spider.parse_sitemap(fixture_response("24.ae", "/sitemaps/articles.xml", TextResponse)))
    assert len(found) == 4
    recent_only = outlet_spider("24ae", since=None, DISCOVERY_MAX_AGE_DAYS=2)
    assert (datetime.now(UTC) - recent_only.since).days == 2
    found = requests_of(recent_only.parse_sitemap(fixture_response("24.ae", "/sitemaps/articles.xml", TextResponse)))
    assert [r.url for r in found] == load_expected("24.ae")["sitemap_window"]["undated_urls"]


def test_home_page_feeds_are_found():
    spider = outlet_spider("khaberain")
    requests = requests_of(spider.parse_listing(fixture_response("khabaren.net", "/"), depth=0, home=True))
    assert by_kind(requests, "feed") == ["https://khabaren.net/atom.xml"]
    atom = requests_of(spider.parse_feed(fixture_response("khabaren.net", "/atom.xml", TextResponse)))
    assert {r.meta.get("lastmod") for r in atom} >= {"2024-11-20T09:40:00Z"}


# --- extraction -------------------------------------------------------------------


def test_article_page_gives_an_item_with_fetch_data():
    spider = outlet_spider("aawsat")
    expected = next(a for a in load_expected("aawsat.com")["articles"] if "5083127" in a["url"])
    response = fixture_response("aawsat.com", expected["path"])
    before = datetime.now(UTC)
    item = spider.article_item(response)
    assert isinstance(item, ArticleItem)
    assert item.url == expected["url"] and item.outlet == "aawsat" and item.title == expected["title"]
    assert item.raw == response.body and item.input_ref == response.url
    assert before <= item.fetched_at <= datetime.now(UTC)


def test_windows_1256_page_is_decoded_from_the_http_charset():
    spider = outlet_spider("24ae")
    article = next(a for a in load_expected("24.ae")["articles"] if a["served"].get("encoding"))
    response = fixture_response("24.ae", article["path"])
    assert b"charset=windows-1256" in response.headers[b"Content-Type"]
    item = spider.article_item(response)
    assert item.title == article["title"]
    assert article["body_snippets"][0] in item.body


def test_a_parser_failure_is_a_rejected_page_not_a_crash(monkeypatch):
    import crawler.spiders.base as base

    def broken(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(base, "read_saved_page", broken)
    spider = outlet_spider("aawsat")
    response = fixture_response("aawsat.com", load_expected("aawsat.com")["articles"][0]["path"])
    rejected = spider.article_item(response)
    assert isinstance(rejected, RejectedPage)
    assert rejected.reason == "parse_error" and "RecursionError" in rejected.detail
    assert rejected.raw == response.body and rejected.outlet == "aawsat"


def test_a_non_html_answer_at_an_article_url_is_rejected():
    spider = outlet_spider("24ae")
    response = Response("https://24.ae/article/1/x", body=b"%PDF-1.7", headers={"Content-Type": "application/pdf"})
    rejected = spider.article_item(response)
    assert isinstance(rejected, RejectedPage) and rejected.reason == "not_html"


def failure_for(request: Request, exc: Exception) -> Failure:
    failure = Failure(exc)
    failure.request = request
    return failure


def test_download_failures_of_articles_are_kept_for_a_retry_and_gone_ones_are_not():
    spider = outlet_spider("24ae")
    article = spider._request("https://24.ae/article/1/x", spider.parse_article, "article")
    unavailable = Response(article.url, status=503, request=article)
    [rejected] = list(spider.on_error(failure_for(article, HttpError(unavailable))))
    assert rejected.reason == "http_503" and rejected.url == article.url
    gone = Response(article.url, status=404, request=article)
    assert list(spider.on_error(failure_for(article, HttpError(gone)))) == []
    assert list(spider.on_error(failure_for(article, IgnoreRequest("robots.txt")))) == []
    [timeout] = list(spider.on_error(failure_for(article, TimeoutError("took too long"))))
    assert timeout.reason == "download_error"
    feed = spider._request("https://24.ae/rss.aspx", spider.parse_feed, "feed")
    assert list(spider.on_error(failure_for(feed, TimeoutError("x")))) == []
    assert spider.crawler.stats.get_value("discovery/errors/feed") == 1


# --- the generic spider --------------------------------------------------------------


def test_generic_spider_reads_pages_and_lets_their_content_decide():
    spider = generic_spider()
    assert spider.allowed_domains == ["elyomnew.com"] and spider.site_root() == "https://elyomnew.com/"
    home = requests_of(spider.parse_page(fixture_response("elyomnew.com", "/"), depth=0, home=True))
    assert by_kind(home, "feed") == ["https://elyomnew.com/feed"]
    pages = by_kind(home, "page")
    assert "https://elyomnew.com/482113" in pages and "https://elyomnew.com/category/world-news" in pages
    assert not any("facebook" in url for url in pages)
    results = list(spider.parse_page(fixture_response("elyomnew.com", "/482113"), depth=1))
    items = [r for r in results if isinstance(r, ArticleItem)]
    assert len(items) == 1 and items[0].url == "https://elyomnew.com/482113" and items[0].outlet is None
    listing = list(spider.parse_page(fixture_response("elyomnew.com", "/category/world-news"), depth=1))
    assert not any(isinstance(r, ArticleItem) for r in listing)
    assert "https://elyomnew.com/category/world-news/page/2" in by_kind(requests_of(listing), "listing")
    assert spider.link_kind("https://elyomnew.com/wp-admin/options.php") is None
    assert not spider.on_site("https://other.example/482113")
    assert spider.on_site("https://www.elyomnew.com/482113")


def test_generic_spider_accepts_a_bare_host():
    assert generic_spider("elyomnew.com").site_root() == "https://elyomnew.com"


# --- middlewares ------------------------------------------------------------------------


def test_routing_is_off_without_a_fixture_server():
    with pytest.raises(NotConfigured):
        FixtureRoutingMiddleware.from_crawler(get_crawler(settings_dict={"FIXTURE_SERVER": None}))


def test_routing_rewrites_real_hosts_only():
    middleware = FixtureRoutingMiddleware.from_crawler(
        get_crawler(settings_dict={"FIXTURE_SERVER": "http://127.0.0.1:8765"}))
    assert middleware.routed_url("https://24.ae/section/1/?page=2") == "http://127.0.0.1:8765/section/1/?page=2"
    assert middleware.routed_url("https://aawsat.com") == "http://127.0.0.1:8765/"
    assert middleware.routed_url("http://127.0.0.1:8765/feed") is None
    assert middleware.routed_url("file:///tmp/page.html") is None
    assert HOST_HEADER == "X-Fixture-Host"
    with pytest.raises(ValueError):
        FixtureRoutingMiddleware.from_crawler(get_crawler(settings_dict={"FIXTURE_SERVER": "127.0.0.1"}))


def test_retry_after_header():
    now = datetime(2024, 11, 20, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120", now) == 120
    assert retry_after_seconds("Wed, 20 Nov 2024 12:01:30 GMT", now) == 90
    assert retry_after_seconds("Wed, 20 Nov 2024 11:00:00 GMT", now) == 0
    assert retry_after_seconds(None, now) is None
    assert retry_after_seconds(b"soon", now) is None


def test_crawlall_exit_status_says_when_a_spider_failed(tmp_path):
    result = run_scrapy(f"sqlite:///{tmp_path / 'news.db'}", "crawlall", "-a", "since=last week",
                        "-s", "WARC_ENABLED=False")
    assert result.returncode == 1
    for outlet in all_outlets():
        assert f"{outlet.slug}: failed (did not start)" in result.stdout
    assert "since='last week'" in result.stderr
