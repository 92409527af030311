"""Retries with backoff: Scrapy's RetryMiddleware retries at once; this one waits.

Before each retry of a `RETRY_HTTP_CODES` answer or a network error it waits
the server's `Retry-After` (seconds or an HTTP date) if it sent one, else
`RETRY_BACKOFF_BASE * 2 ** n` seconds for the n-th retry (0, 1, 2, ...),
at most `RETRY_BACKOFF_MAX`. A `Retry-After` longer than that is obeyed by not
retrying in this run. After a 429 or a `Retry-After`, the site's download slot
is slowed down as much too, so that its other requests wait as well
(AutoThrottle brings the delay back down as answers come in).
"""
from __future__ import annotations

import email.utils
import logging
from datetime import datetime, timezone

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` header in seconds; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.base_delay = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.max_delay = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        server_delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        if server_delay is not None and server_delay > self.max_delay:
            logger.warning("Not retrying %s in this run: the server asks to wait %.0f s", request, server_delay)
            self.crawler.stats.inc_value("retry/retry_after_too_long")
            return response
        retry = super().process_response(request, response)
        if isinstance(retry, Request):
            await self._wait(request, server_delay, slow_site=response.status == 429 or server_delay is not None)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            await self._wait(request, None, slow_site=False)
        return retry

    async def _wait(self, request: Request, server_delay: float | None, slow_site: bool) -> None:
        attempt = request.meta.get("retry_times", 0)
        delay = server_delay if server_delay is not None else self.base_delay * 2 ** attempt
        delay = min(delay, self.max_delay)
        if delay <= 0:
            return
        if slow_site and self.crawler.engine is not None:
            slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot"))
            if slot is not None:
                slot.delay = max(slot.delay, delay)
        self.crawler.stats.inc_value("retry/backoff_seconds", delay)
        await sleep(delay)
