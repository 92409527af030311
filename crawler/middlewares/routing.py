"""Test support: route a crawl of real URLs to a local fixture server.

Enabled only when the setting `FIXTURE_SERVER` is set (e.g.
`-s FIXTURE_SERVER=http://127.0.0.1:8765`, see tests/sites/README.md). Each
request for another host is fetched from that server instead, at the same path
and query, with the original host in the `X-Fixture-Host` header; the response
comes back under the original URL. Spiders, robots.txt, redirects (whose
`Location`s name real hosts), the WARC archive and the incremental state all
keep seeing the real URLs.

It is the last downloader middleware and downloads the local copy itself,
through Scrapy's download handlers, without a proxy. So the per-site download
slots (concurrency, delays, AutoThrottle) do not apply to routed requests:
the server is local.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

HOST_HEADER = "X-Fixture-Host"
# Meta keys of the proxy middleware: the local server is reached directly.
_PROXY_META = ("proxy", "_auth_proxy")


class FixtureRoutingMiddleware:
    def __init__(self, crawler, server: str):
        parts = urlsplit(server)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"FIXTURE_SERVER={server!r}: expected http://HOST:PORT")
        self.crawler = crawler
        self.server = f"http://{parts.hostname}:{parts.port}"
        self.server_netloc = parts.netloc.lower()

    @classmethod
    def from_crawler(cls, crawler):
        server = crawler.settings.get("FIXTURE_SERVER")
        if not server:
            raise NotConfigured
        return cls(crawler, server)

    def routed_url(self, url: str) -> str | None:
        """Where the server serves `url`, or None for a URL not to reroute
        (the server's own, or not HTTP). Decided by host: a redirected request
        copies the meta of the one before it."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() == self.server_netloc:
            return None
        return f"{self.server}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")

    async def process_request(self, request: Request) -> Response | None:
        local_url = self.routed_url(request.url)
        if local_url is None:
            return None
        headers = request.headers.copy()
        headers[HOST_HEADER] = urlsplit(request.url).netloc
        headers.pop(b"Proxy-Authorization", None)
        meta = {key: value for key, value in request.meta.items() if key not in _PROXY_META}
        local = request.replace(url=local_url, headers=headers, meta=meta)
        response = await self.crawler.engine.downloader.handlers.download_request_async(local)
        if "download_latency" in local.meta:
            request.meta["download_latency"] = local.meta["download_latency"]
        return response.replace(url=request.url)
