"""Scrapy extensions of the project."""
from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

# Scrapy's extensions that their own setting turns off, which Scrapy still
# imports to ask: the remote control's module loads aiohttp (0.1 s), the
# telnet console's twisted.conch.
SWITCHED_EXTENSIONS = {
    "REMOTE_CONTROL_ENABLED": "scrapy.extensions.remote_control.RemoteControl",
    "TELNETCONSOLE_ENABLED": "scrapy.extensions.telnet.TelnetConsole",
}


def leave_out_switched_off(settings, priority: int) -> None:
    """Take the switched-off extensions out of EXTENSIONS_BASE, so they are not
    imported at start-up (listed as None in EXTENSIONS, they would be: Scrapy
    imports every key there to compare it with the base's)."""
    off = {path for setting, path in SWITCHED_EXTENSIONS.items() if not settings.getbool(setting)}
    base = settings.getdict("EXTENSIONS_BASE")
    if off & base.keys():
        settings.set("EXTENSIONS_BASE", {path: order for path, order in base.items() if path not in off},
                     priority=max(settings.getpriority("EXTENSIONS_BASE") or 0, priority))


class ProgressLine:
    """A one-line progress report on stderr while a run goes on: files or pages
    read, articles stored, queued for the database (held while it is
    unavailable), rejected, and not stored (at the end). Rewritten in place on a terminal, one line
    every `PROGRESS_INTERVAL` seconds otherwise. Enabled by `PROGRESS_ENABLED`."""

    def __init__(self, stats, interval: float, stream=None):
        self.stats = stats
        self.interval = interval
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._loop = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("PROGRESS_ENABLED"):
            raise NotConfigured
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 1.0)
        ext = cls(crawler.stats, interval if sys.stderr.isatty() else max(interval, 10.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def line(self) -> str:
        get = self.stats.get_value
        stored = sum(get(f"articles/{k}", 0) for k in ("new", "updated", "unchanged"))
        seconds = time.monotonic() - self.started
        not_stored = get("articles/not_stored", 0)
        # A replay reads pages from disk (crawler.pagereader), a crawl receives responses.
        read = get("replay/read") or get("response_received_count", 0)
        return (
            f"read {read}/{get('replay/files', 0) or '?'} pages, "
            f"stored {stored}, queued {get('articles/queued', 0)}, rejected {get('articles/rejected', 0)}"
            f"{f', not stored {not_stored}' if not_stored else ''} ({seconds:.0f} s)"
        )

    def report(self) -> None:
        end = "\r" if self.tty else "\n"
        self.stream.write(self.line() + end)
        self.stream.flush()

    def spider_opened(self, spider):
        self._loop = task.LoopingCall(self.report)
        self._loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self._loop and self._loop.running:
            self._loop.stop()
        if self.tty:
            self.stream.write(" " * 80 + "\r")
