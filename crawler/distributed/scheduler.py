"""The Redis scheduler of distributed crawls: scrapy-redis's, for workers that come and go.

Keys, per crawl (the spider's name; the generic spider adds its site:
`generic:news.example`):

  <crawl>:requests      the shared queue (a sorted set by priority, as scrapy-redis keeps it)
  <crawl>:dupefilter    fingerprints of the requests made in the current run
                        (Scrapy's request fingerprints, so the same rules as a local crawl)
  <crawl>:run           the run: state (running / finished), number, start and end times
  <crawl>:workers       worker id -> busy / idle
  <crawl>:alive:<id>    the worker's heartbeat, expiring after REDIS_WORKER_TIMEOUT seconds
  <crawl>:leases:<id>   the requests the worker took from the queue and has not finished

Runs. The first worker of a run (none running, or the last one finished at
least REDIS_RUN_MIN_INTERVAL seconds ago) starts it: the duplicate filter of
the previous run is emptied. A worker that starts sooner after the end (a
late one of the same schedule) joins the finished run, finds nothing to do
and exits. Every worker then runs its spider's `start()` (Scrapy 2.13+;
scrapy-redis's own spiders read start URLs from a Redis list instead): the
entry points it yields go through the shared duplicate filter, so robots.txt,
feeds and sitemaps are requested once per run, however many workers start. A worker that joins a
run under way, or restarts after a pause, resumes the shared queue.

Leases. A request popped from the queue is moved, in one step, into the
worker's leases. The worker drops its leases when it is idle with every page
stored (`articles/queued` is 0), and when it closes: Scrapy closes a spider
(finished, Ctrl-C, SIGTERM, a CLOSESPIDER limit) only once the requests in
progress are done and their pages stored or spooled. Only a close that lost
pages (`articles/storage_lost`) puts its leases back in the queue. A worker
killed hard stops its heartbeat: after REDIS_WORKER_TIMEOUT seconds another
worker puts its leases back in the queue, and the requests are made again
(its articles already stored are answered 304 or skipped, by the crawl state;
the others are fetched and stored).

The end. A worker with nothing to do marks itself idle and waits (polling
every REDIS_IDLE_POLL seconds) while the queue is empty but other workers are
busy: their pages may lead to more requests. When the queue is empty, every
live worker is idle and no dead worker holds leases, the run is finished and
the idle workers exit (close reason `finished`).

Outages. While Redis does not answer, the worker keeps the requests it makes
(and sends them first when it answers again), takes none, and waits rather
than finish; the heartbeat runs in a thread of its own.

Enqueueing checks the duplicate filter and adds to the queue in one Redis
script, and so does popping with leasing: a worker killed between two steps
never leaves a request marked as seen but queued nowhere. Requests are
pickled into Redis (as scrapy-redis does): only trusted workers may reach it.
Use one Redis server (not Redis Cluster): the scripts name keys they compute.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections import deque
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

logger = logging.getLogger(__name__)

BUSY = "busy"
FINISHED = b"finished"  # a run's state, as Redis returns it

# Start a run or join the one under way (or one that just finished), and
# register the worker. KEYS: run, queue, dupefilter, workers. ARGV: alive
# prefix, leases prefix, flush (1/0), now, worker id, heartbeat ms, min
# interval ms. Returns {new run (1/0), run number, state}.
_BEGIN = """
local clock = redis.call('TIME')
local now_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HGET', KEYS[1], 'state')
local fresh = true
if ARGV[3] == '1' then
  fresh = true
elseif state == 'running' then
  -- a run nothing is left of (nobody alive, no leases, nothing queued) is over
  fresh = redis.call('ZCARD', KEYS[2]) == 0
  if fresh then
    for _, id in ipairs(redis.call('HKEYS', KEYS[4])) do
      if redis.call('EXISTS', ARGV[1] .. id) == 1 or redis.call('EXISTS', ARGV[2] .. id) == 1 then
        fresh = false
        break
      end
    end
  end
elseif state == 'finished' then
  local ended = tonumber(redis.call('HGET', KEYS[1], 'finished_ms') or '0')
  fresh = now_ms - ended >= tonumber(ARGV[7])
end
if fresh then
  redis.call('DEL', KEYS[3])
  if ARGV[3] == '1' then redis.call('DEL', KEYS[2]) end
  redis.call('HINCRBY', KEYS[1], 'number', 1)
  redis.call('HSET', KEYS[1], 'state', 'running', 'started_at', ARGV[4])
  redis.call('HDEL', KEYS[1], 'finished_at', 'finished_ms')
end
redis.call('HSET', KEYS[4], ARGV[5], 'busy')
redis.call('SET', ARGV[1] .. ARGV[5], '1', 'PX', ARGV[6])
return {fresh and 1 or 0, tonumber(redis.call('HGET', KEYS[1], 'number')), redis.call('HGET', KEYS[1], 'state')}
"""

# KEYS: dupefilter, queue. ARGV: fingerprint, score, request.
_ENQUEUE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS: queue, leases, workers. ARGV: worker id.
_POP = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
redis.call('ZADD', KEYS[2], popped[2], popped[1])
redis.call('HSET', KEYS[3], ARGV[1], 'busy')
return popped[1]
"""

# Put a worker's leases back in the queue. KEYS: queue, leases. Returns how many.
_REQUEUE = """
local count = redis.call('ZCARD', KEYS[2])
if count > 0 then
  redis.call('ZUNIONSTORE', KEYS[1], 2, KEYS[1], KEYS[2], 'AGGREGATE', 'MIN')
  redis.call('DEL', KEYS[2])
end
return count
"""

# Workers whose heartbeat stopped: their leases back in the queue, their entry
# removed. KEYS: queue, workers. ARGV: alive prefix, leases prefix.
# Returns {workers, requests}.
_SWEEP = """
local workers, requests = 0, 0
for _, id in ipairs(redis.call('HKEYS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[1] .. id) == 0 then
    local leases = ARGV[2] .. id
    local count = redis.call('ZCARD', leases)
    if count > 0 then
      redis.call('ZUNIONSTORE', KEYS[1], 2, KEYS[1], leases, 'AGGREGATE', 'MIN')
      redis.call('DEL', leases)
    end
    redis.call('HDEL', KEYS[2], id)
    workers, requests = workers + 1, requests + count
  end
end
return {workers, requests}
"""

# An idle worker asks whether the run is over. KEYS: queue, workers, run.
# ARGV: alive prefix, leases prefix, worker id, now.
# Returns 'work' (the queue has requests), 'sweep' (a dead worker holds leases),
# 'wait' (another worker is busy) or 'done' (the run is marked finished).
_IDLE = """
redis.call('HSET', KEYS[2], ARGV[3], 'idle')
if redis.call('ZCARD', KEYS[1]) > 0 then return 'work' end
local states = redis.call('HGETALL', KEYS[2])
local verdict = 'done'
for i = 1, #states, 2 do
  local id, state = states[i], states[i + 1]
  if redis.call('EXISTS', ARGV[1] .. id) == 0 then
    if redis.call('EXISTS', ARGV[2] .. id) == 1 then return 'sweep' end
  elseif state ~= 'idle' then
    verdict = 'wait'
  end
end
if verdict == 'done' and redis.call('HGET', KEYS[3], 'state') == 'running' then
  local clock = redis.call('TIME')
  redis.call('HSET', KEYS[3], 'state', 'finished', 'finished_at', ARGV[4],
             'finished_ms', tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000))
end
return verdict
"""


def crawl_name(spider) -> str:
    """Workers share a queue when they run the same crawl: the same spider,
    and for a spider told its site (the generic one's `host`), the same site."""
    host = getattr(spider, "host", None)
    return f"{spider.name}:{host}" if host else spider.name


def printable_redis_url(url: str | None) -> str:
    """The URL without its password."""
    parts = urlsplit(url or "")
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    return url or ""


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class SharedDupeFilter(RFPDupeFilter):
    """scrapy-redis's duplicate filter with Scrapy's request fingerprints
    (REQUEST_FINGERPRINTER_CLASS), not scrapy-redis's own."""

    def __init__(self, server, key, debug=False, fingerprinter=None):
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_spider(cls, spider):
        settings = spider.settings
        key = settings.get("SCHEDULER_DUPEFILTER_KEY", "%(spider)s:dupefilter") % {"spider": crawl_name(spider)}
        return cls(get_redis_from_settings(settings), key, settings.getbool("DUPEFILTER_DEBUG"),
                   spider.crawler.request_fingerprinter)

    def request_fingerprint(self, request) -> str:
        return self.fingerprinter.fingerprint(request).hex()


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop leases the request to the worker."""

    def __init__(self, server, spider, key, serializer=None, *, leases_key: str, workers_key: str, worker: str):
        super().__init__(server, spider, key, serializer)
        self.leases_key = leases_key
        self.workers_key = workers_key
        self.worker = worker
        self._pop = server.register_script(_POP)

    def pop(self, timeout=0):
        data = self._pop(keys=[self.key, self.leases_key, self.workers_key], args=[self.worker])
        return self._decode_request(data) if data else None


class RedisScheduler(Scheduler):
    """See the module docstring. Settings: REDIS_URL (and scrapy-redis's
    REDIS_PARAMS, SCHEDULER_QUEUE_KEY, SCHEDULER_DUPEFILTER_KEY,
    SCHEDULER_SERIALIZER), SCHEDULER_PERSIST (default on: a paused crawl
    keeps its queue; off: the last worker to stop empties it),
    SCHEDULER_FLUSH_ON_START (the first worker starts a new run, dropping the
    queue), REDIS_WORKER_TIMEOUT (seconds without a heartbeat before a worker
    counts as dead, default 60), REDIS_IDLE_POLL (seconds between looks at the
    queue while idle, default 0.2), REDIS_RUN_MIN_INTERVAL (seconds after the
    end of a run during which a starting worker joins it rather than starting
    a new one, default 60)."""

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        try:
            scheduler = super().from_crawler(crawler)  # connects and pings
        except RedisError as error:
            logger.error("Redis at %s cannot be used (%s): the crawl does not start",
                         printable_redis_url(settings.get("REDIS_URL")), error)
            raise
        scheduler.crawler = crawler
        scheduler.worker_timeout = settings.getfloat("REDIS_WORKER_TIMEOUT", 60.0)
        scheduler.idle_poll = settings.getfloat("REDIS_IDLE_POLL", 0.2)
        scheduler.run_min_interval = settings.getfloat("REDIS_RUN_MIN_INTERVAL", 60.0)
        scheduler.worker = new_worker_id()
        # Requests made while Redis did not answer, oldest first.
        scheduler._unsent = deque()
        scheduler._outage_since = None
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    # --- the run ---------------------------------------------------------------

    def open(self, spider):
        self.spider = spider
        name = crawl_name(spider)
        self.queue_key = self.queue_key % {"spider": name}
        self.run_key, self.workers_key = f"{name}:run", f"{name}:workers"
        self.alive_prefix, self.leases_prefix = f"{name}:alive:", f"{name}:leases:"
        self.leases_key = self.leases_prefix + self.worker
        self.queue = LeasedQueue(self.server, spider, self.queue_key, self.serializer, leases_key=self.leases_key,
                                 workers_key=self.workers_key, worker=self.worker)
        self.df = SharedDupeFilter.from_spider(spider)
        self._enqueue = self.server.register_script(_ENQUEUE)
        self._requeue = self.server.register_script(_REQUEUE)
        self._sweep = self.server.register_script(_SWEEP)
        self._idle = self.server.register_script(_IDLE)
        fresh, number, state = self.server.register_script(_BEGIN)(
            keys=[self.run_key, self.queue_key, self.df.key, self.workers_key],
            args=[self.alive_prefix, self.leases_prefix, int(self.flush_on_start), _now(), self.worker,
                  self._heartbeat_ms(), int(self.run_min_interval * 1000)])
        self.sweep()
        waiting = len(self.queue)
        if fresh:
            logger.info("Worker %s started run %d of %s (queue in Redis: %d requests)", self.worker, number, name,
                        waiting)
        elif state == FINISHED:
            logger.warning("Run %d of %s finished less than REDIS_RUN_MIN_INTERVAL (%g s) ago: nothing to do",
                           number, name, self.run_min_interval)
        else:
            logger.info("Worker %s joined run %d of %s (%d requests queued)", self.worker, number, name, waiting)
        self.crawler.stats.set_value("distributed/worker", self.worker)
        self.crawler.stats.set_value("distributed/run", number)
        # In a thread of its own: a page that keeps the reactor busy for a while
        # (a huge page's parse) does not make the worker look dead.
        self._stopping = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="redis-heartbeat", daemon=True)
        self._heartbeat.start()
        self._poll = None  # started when the worker first waits (spider_idle)

    def close(self, reason):
        self._stopping.set()
        self._heartbeat.join()
        if self._poll is not None and self._poll.running:
            self._poll.stop()
        try:
            self._close_in_redis()
        except RedisError as error:
            # The leases stay; once this worker's heartbeat has expired, another
            # worker (or the next run) puts them back in the queue.
            logger.error("Redis does not answer (%s): worker %s leaves its requests to the others", error,
                         self.worker)
        if self._unsent:
            logger.error("%d requests could not be put in the Redis queue: they are lost for this run",
                         len(self._unsent))
            self.stats.inc_value("distributed/requests_lost", len(self._unsent))

    def _close_in_redis(self) -> None:
        self._send_unsent()
        # The engine closes once the requests in progress are done: the leases
        # are finished business, unless their pages were lost.
        lost = self.crawler.stats.get_value("articles/storage_lost")
        if not lost:
            self.server.delete(self.leases_key)
        else:
            count = self._requeue(keys=[self.queue_key, self.leases_key])
            logger.warning("%d pages were neither stored nor spooled: %d requests of worker %s are back in the "
                           "shared queue", lost, count, self.worker)
            self.crawler.stats.inc_value("distributed/requeued", count)
        self.server.hdel(self.workers_key, self.worker)
        self.server.delete(self.alive_prefix + self.worker)
        if not self.persist and not self._others_alive():
            logger.info("SCHEDULER_PERSIST is off and no other worker runs: emptying the queue of %s",
                        crawl_name(self.spider))
            self.flush()
            self.server.delete(self.run_key)

    # --- requests --------------------------------------------------------------

    def enqueue_request(self, request):
        if self._unsent and not self._send_unsent():
            self._unsent.append(request)
            return True
        try:
            return self._push(request)
        except RedisError as error:
            # Kept here and sent once Redis answers again (nothing is taken meanwhile).
            self._redis_failed(error)
            self._unsent.append(request)
            return True

    def _push(self, request) -> bool:
        data = self.queue._encode_request(request)
        score = -request.priority
        if request.dont_filter:
            self.server.execute_command("ZADD", self.queue_key, score, data)
        elif not self._enqueue(keys=[self.df.key, self.queue_key],
                               args=[self.df.request_fingerprint(request), score, data]):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def _send_unsent(self) -> bool:
        """Queue the requests kept during a Redis outage; False while it lasts."""
        while self._unsent:
            try:
                self._push(self._unsent[0])
            except RedisError as error:
                self._redis_failed(error)
                return False
            self._unsent.popleft()
        if self._outage_since is not None:
            logger.warning("Redis answers again after %.0f s", time.monotonic() - self._outage_since)
            self._outage_since = None
        return True

    def next_request(self):
        if self._unsent and not self._send_unsent():
            return None
        try:
            request = self.queue.pop()
        except RedisError as error:
            self._redis_failed(error)
            return None
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self._unsent:
            return True
        try:
            return len(self.queue) > 0
        except RedisError as error:
            self._redis_failed(error)
            return True  # unknown: wait rather than finish

    def _redis_failed(self, error: Exception) -> None:
        self.stats.inc_value("distributed/redis_errors")
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            logger.warning("Redis does not answer (%s): requests are kept in this worker until it does", error)

    # --- liveness and the end of the run ----------------------------------------

    def _beat(self) -> None:
        while not self._stopping.wait(max(self.worker_timeout / 3, 0.1)):
            self.heartbeat()

    def heartbeat(self) -> None:
        try:
            self.server.set(self.alive_prefix + self.worker, "1", px=self._heartbeat_ms())
            # Back after a stall that made the others take it for dead: registered again.
            self.server.hsetnx(self.workers_key, self.worker, BUSY)
            self.sweep()
        except RedisError as error:
            # The next beat tries again (the client retries too); a loop that
            # raised would stop beating, and the others would take this worker for dead.
            logger.warning("Heartbeat of worker %s failed: %s", self.worker, error)

    def sweep(self) -> None:
        workers, requests = self._sweep(keys=[self.queue_key, self.workers_key],
                                        args=[self.alive_prefix, self.leases_prefix])
        if workers:
            logger.warning("%d worker(s) of %s stopped answering: %d of their requests are back in the queue",
                           workers, crawl_name(self.spider), requests)
            self.crawler.stats.inc_value("distributed/recovered", requests)

    def spider_idle(self) -> None:
        """Nothing left in this worker: its pages are stored (or queued for the
        database); exit only when the whole run is done."""
        try:
            if self._unsent and not self._send_unsent():
                raise DontCloseSpider
            if not self.crawler.stats.get_value("articles/queued"):
                self.server.delete(self.leases_key)
            while True:
                verdict = self._idle(keys=[self.queue_key, self.workers_key, self.run_key],
                                     args=[self.alive_prefix, self.leases_prefix, self.worker, _now()])
                if isinstance(verdict, bytes):
                    verdict = verdict.decode()
                if verdict != "sweep":
                    break
                self.sweep()
        except RedisError as error:
            self._redis_failed(error)
            raise DontCloseSpider
        if verdict == "done":
            logger.info("Run of %s finished: the queue is empty and every worker is idle", crawl_name(self.spider))
            return
        if self._poll is None:
            # Scrapy asks its scheduler again only every 5 s when idle; the queue may fill sooner.
            self._poll = task.LoopingCall(self._wake_engine)
            self._poll.start(self.idle_poll, now=False)
        raise DontCloseSpider

    def _wake_engine(self) -> None:
        # Scrapy has no public call for it: its heartbeat makes the same one every 5 s.
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def _others_alive(self) -> bool:
        return any(self.server.exists(self.alive_prefix.encode() + worker)
                   for worker in self.server.hkeys(self.workers_key))

    def _heartbeat_ms(self) -> int:
        return max(int(self.worker_timeout * 1000), 100)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
