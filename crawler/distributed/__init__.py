"""Distributed crawls: workers on one or many machines share one crawl through Redis.

`scrapy crawl <spider> -s REDIS_URL=redis://host:port/db` (or `crawlall`, the
generic spider, any spider of the project) started the same way on several
machines splits the crawl: the request queue and the duplicate filter live in
Redis (scrapy-redis), the articles go to the shared database. Without
`REDIS_URL` nothing changes (the `DistributedCrawl` add-on stays off and the
project's JOBDIR scheduler runs); replays ignore it.

- `scheduler.py`: `RedisScheduler`, scrapy-redis's scheduler adapted to
  Scrapy's `async def start()` and to workers that come and go: runs, leases
  of requests in progress, dead workers' requests put back, idle workers
  exiting once the crawl is done (its docstring says how);
- this module: the add-on that puts it in place.
"""
from __future__ import annotations

import logging

from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class DistributedCrawl:
    """Add-on (`ADDONS`): with `REDIS_URL` set, the Redis scheduler and
    duplicate filter replace the project's, the queue outlives a stopped
    worker (`SCHEDULER_PERSIST`, on unless set otherwise) and the run alarms
    (crawler/alarms) are off (`ALARMS_ENABLED`, likewise)."""

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        # Imported here: every crawler, a replay's too, loads the add-on (0.06 s).
        from crawler.spiders.base import NewsSpider

        # Live crawls only: a replay reads this machine's files.
        if not issubclass(crawler.spidercls, NewsSpider):
            raise NotConfigured
        return cls()

    def update_settings(self, settings) -> None:
        # At the project's priority: it replaces the project's own scheduler,
        # while `-s SCHEDULER=...` still wins.
        settings.set("SCHEDULER", "crawler.distributed.scheduler.RedisScheduler", priority="project")
        settings.set("DUPEFILTER_CLASS", "crawler.distributed.scheduler.SharedDupeFilter", priority="project")
        settings.set("SCHEDULER_PERSIST", True, priority="addon")
        # The alarms judge a whole run against the outlet's earlier runs; a
        # worker sees only its share (entry points another worker read look
        # unanswered), so they are off unless asked for.
        settings.set("ALARMS_ENABLED", False, priority="project")
        if settings.get("JOBDIR"):
            logger.warning("JOBDIR is not used with REDIS_URL: the queue and the requests seen live in Redis")
