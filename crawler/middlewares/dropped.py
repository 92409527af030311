"""Pages Scrapy gives up on without telling the spider, made failures it hears of.

HttpCompressionMiddleware stops decompressing a body at DOWNLOAD_MAXSIZE, logs
a warning and ignores the response: its page is then neither stored nor
rejected. The subclass here takes its place and raises `DroppedRequest`, an
IgnoreRequest with a reason, to the request's errback instead, which records
a rejected page: `too_large`, with the first RAW_PREFIX_BYTES of the page.
"""
from __future__ import annotations

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from crawler.inputs import RAW_PREFIX_BYTES, TOO_LARGE, inflated_prefix

_INFLATED = {b"gzip", b"x-gzip", b"deflate"}


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

