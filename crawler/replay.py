"""The spider behind `scrapy replay`: saved pages read through Scrapy's own
engine (file:// downloads, middlewares, item pipelines, stats), like a live crawl."""
from __future__ import annotations

import logging
from pathlib import Path

import scrapy
from scrapy.http import Response

from crawler.inputs import UnreadableInput
from crawler.items import RejectedPage
from crawler.pages import kind_of, read_saved_page

logger = logging.getLogger(__name__)


def iter_input_files(paths: list[str], extensions: list[str]):
    """Yield (path, problem) for every saved page under `paths`, in a stable
    order; problem is None or a RejectedPage reason for a path given by name."""
    suffixes = tuple(e.lower() for e in extensions)
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name.lower().endswith(suffixes):
                    yield child, None
                else:
                    logger.debug("Skipping %s: not a saved page type", child)
        elif path.is_file():
            yield path, (None if kind_of(path.name) else "unsupported_format")
        else:
            yield path, "missing"


class ReplaySpider(scrapy.Spider):
    name = "replay"
    custom_settings = {"ROBOTSTXT_OBEY": False}

    def __init__(self, paths: list[str] | str | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(paths, str):
            paths = [p for p in paths.split(",") if p]
        self.paths = paths or ["seeds"]

    async def start(self):
        extensions = self.settings.getlist("REPLAY_EXTENSIONS")
        max_bytes = self.settings.getint("DOWNLOAD_MAXSIZE")
        stats = self.crawler.stats
        for path, problem in iter_input_files(self.paths, extensions):
            stats.inc_value("replay/files")
            uri = path.as_uri()
            if problem is None and max_bytes and path.stat().st_size > max_bytes:
                problem = "too_large"
            if problem:
                yield self._reject(uri, problem, self._problem_detail(path, problem, max_bytes))
                continue
            yield scrapy.Request(
                uri, callback=self.parse_page, errback=self.on_error,
                cb_kwargs={"kind": kind_of(path.name)}, dont_filter=True,
            )

    @staticmethod
    def _problem_detail(path: Path, problem: str, max_bytes: int) -> str:
        if problem == "too_large":
            return f"{path.stat().st_size} bytes, over DOWNLOAD_MAXSIZE ({max_bytes})"
        if problem == "missing":
            return f"no such file or folder: {path}"
        return f"not a saved page type (.txt, .html, .htm, .html.gz): {path.name}"

    def _reject(self, uri: str, reason: str, detail: str, raw: bytes | None = None) -> RejectedPage:
        logger.warning("Rejected %s (%s): %s", uri, reason, detail)
        return RejectedPage(url=uri, reason=reason, detail=detail, input_ref=uri, raw=raw)

    def parse_page(self, response: Response, kind: str):
        try:
            item = read_saved_page(response.body, response.url, kind)
        except UnreadableInput as exc:
            yield self._reject(response.url, exc.reason, exc.detail, response.body)
            return
        except Exception as exc:  # a parser bug must cost one page, not the run
            logger.exception("Parser failed on %s", response.url)
            yield self._reject(response.url, "parse_error", f"{type(exc).__name__}: {exc}", response.body)
            return
        item.raw = response.body
        yield item

    def on_error(self, failure):
        url = failure.request.url
        yield self._reject(url, "read_error", failure.getErrorMessage())
