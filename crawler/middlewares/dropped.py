"""Pages Scrapy gives up on without telling the spider, made failures it hears of.

Scrapy drops some responses and requests on its own, and their page is then
neither stored nor rejected: a body over DOWNLOAD_MAXSIZE once decompressed
(HttpCompressionMiddleware logs a warning and ignores it) and, for redirects,
a chain longer than REDIRECT_MAX_TIMES, a redirect to another site (the
offsite filter drops it as it is scheduled) and a redirect loop (A → B → A, a
page refreshing to itself, two discovered URLs redirecting to each other: the
duplicate filter drops the request that closes it). These subclasses of
Scrapy's middlewares take their places and raise `DroppedRequest`, an
IgnoreRequest with a reason, to the request's errback instead, which records
a rejected page: `too_large` (with the first RAW_PREFIX_BYTES of the page),
`too_many_redirects`, `offsite_redirect`, `redirect_loop`.

The redirect checks are for article requests (meta `article`); feeds and
listings keep Scrapy's behaviour. A redirect to a page that is requested
anyway (two URLs of one article) loses nothing and is left to the duplicate
filter.
"""
from __future__ import annotations

from weakref import WeakKeyDictionary

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from crawler.inputs import RAW_PREFIX_BYTES, TOO_LARGE, inflated_prefix
from crawler.middlewares.incremental import ARTICLE_META

_INFLATED = {b"gzip", b"x-gzip", b"deflate"}
# Where each redirected request of a crawl led (request fingerprints), shared
# by both redirect middlewares: a loop may mix HTTP and meta refresh redirects.
_REDIRECTS: WeakKeyDictionary = WeakKeyDictionary()


class DroppedRequest(IgnoreRequest):
    """A request given up on, with the reason its page is rejected for and,
    for a page too large, what is kept of it."""

    def __init__(self, reason: str, detail: str, raw: bytes | None = None):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.raw = raw


class SizeLimitedCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression (which stops at DOWNLOAD_MAXSIZE of output)."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:  # its one refusal: too large once decompressed
            encoding = b",".join(response.headers.getlist("Content-Encoding")).strip().lower()
            raw = inflated_prefix(response.body) if encoding in _INFLATED else response.body[:RAW_PREFIX_BYTES]
            raise DroppedRequest(TOO_LARGE, str(exc), raw) from exc


class _RedirectAccounting:
    """For a redirect middleware: the redirects of article requests it would let be dropped fail instead."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            redirected = super().process_response(request, response)
        except IgnoreRequest as exc:  # its one refusal: more than REDIRECT_MAX_TIMES redirects
            if request.meta.get(ARTICLE_META):
                raise DroppedRequest("too_many_redirects", f"{self._chain(request)}: {exc}") from exc
            raise
        if isinstance(redirected, Request) and request.meta.get(ARTICLE_META):
            self._check(request, redirected)
        return redirected

    def _check(self, request: Request, redirected: Request) -> None:
        chain = self._chain(request, redirected)
        offsite = self.crawler.get_downloader_middleware(OffsiteMiddleware)
        if (offsite is not None and not (redirected.dont_filter or redirected.meta.get("allow_offsite"))
                and not offsite.should_follow(redirected, self.crawler.spider)):
            raise DroppedRequest("offsite_redirect", f"{chain}: outside the spider's domains")
        fingerprint = self.crawler.request_fingerprinter.fingerprint
        redirects = _REDIRECTS.setdefault(self.crawler, {})
        target = fingerprint(redirected)
        redirects[fingerprint(request)] = target
        # A loop: following the redirects seen so far from the target leads back to it.
        step, passed = target, set()
        while step in redirects and step not in passed:
            passed.add(step)
            step = redirects[step]
        if step == target and passed:
            raise DroppedRequest("redirect_loop", chain)

    @staticmethod
    def _chain(request: Request, redirected: Request | None = None) -> str:
        urls = [*request.meta.get("redirect_urls", ()), request.url]
        return " -> ".join(urls + ([redirected.url] if redirected is not None else []))


class AccountedRedirectMiddleware(_RedirectAccounting, RedirectMiddleware):
    """RedirectMiddleware (3xx with Location), see the module docstring."""


class AccountedMetaRefreshMiddleware(_RedirectAccounting, MetaRefreshMiddleware):
    """MetaRefreshMiddleware (`<meta http-equiv="refresh">`), see the module docstring."""
