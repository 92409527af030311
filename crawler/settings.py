"""Scrapy settings of the project. Every component reads its options from here."""

BOT_NAME = "arabic_news"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# Scrapy's remote-control server executes code it is sent: never on.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

USER_AGENT = "ArabicNewsCrawler/0.1 (research crawler; contact: set USER_AGENT in your settings)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 30
# Pages larger than this are refused (live) or rejected with a reason (replay).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
LOG_LEVEL = "INFO"

ITEM_PIPELINES = {
    "pipelines.base.NormalizationPipeline": 300,
    "pipelines.store.StoragePipeline": 800,
}

# Normalizer plugins, run in this order by NormalizationPipeline; see pipelines/base.py.
# Disable one with `NORMALIZERS = {"pipelines.credits.CreditsNormalizer": None}`,
# add your own with `NORMALIZERS = {"mypackage.MyNormalizer": 350}`.
NORMALIZERS_BASE = {
    "pipelines.arabic.ArabicTextNormalizer": 100,
    "pipelines.boilerplate.BoilerplateNormalizer": 200,
    "pipelines.credits.CreditsNormalizer": 300,
    "pipelines.dates.DatesNormalizer": 400,
    "pipelines.arabic.SearchFormNormalizer": 500,
    "pipelines.validate.ValidationNormalizer": 800,
    "pipelines.dedupe.DedupeNormalizer": 900,
}
NORMALIZERS = {}

# Database: this setting (-s DATABASE_URL=... on the command line, or here),
# else the DATABASE_URL environment variable, else a SQLite file data/news.db
# under the project root. PostgreSQL: postgresql+psycopg://user:pass@host/db
# A database that cannot be opened at the start ends the command with one
# line and exit status 2. DATABASE_TIMEOUT: seconds to wait for a locked
# SQLite file or for a PostgreSQL server to accept a connection.
DATABASE_URL = None
DATABASE_TIMEOUT = 30.0
STORAGE_BATCH_SIZE = 100
# An outage during a run (pipelines/store.py): the batch is retried after
# STORAGE_RETRY_DELAY * 2**n seconds (at most STORAGE_RETRY_DELAY_MAX) while the
# run goes on; pages wait in memory, beyond STORAGE_MAX_HELD pages or
# STORAGE_MAX_HELD_BYTES of raw page bytes in the run's spool file under
# STORAGE_SPOOL_DIR (relative to the project). At the end the run
# waits until the outage has lasted STORAGE_RETRY_MAX_WAIT seconds in all, then
# leaves the rest in the spool, which the next run on that database stores first.
STORAGE_RETRY_DELAY = 1.0
STORAGE_RETRY_DELAY_MAX = 30.0
STORAGE_RETRY_MAX_WAIT = 300.0
STORAGE_MAX_HELD = 1000
STORAGE_MAX_HELD_BYTES = 256 * 1024 * 1024
STORAGE_SPOOL_DIR = "data/spool"

# Stories (crawler/stories/assign.py), assigned in the store's transaction: a
# near-duplicate (shingle Jaccard >= STORIES_DUPLICATE_JACCARD) published within
# STORIES_DUPLICATE_WINDOW_DAYS joins its story; else the most similar report
# (salient terms) published within STORIES_WINDOW_DAYS, at least
# STORIES_THRESHOLD, or STORIES_UNDATED_THRESHOLD when one has no date.
STORIES_ENABLED = True
STORIES_WINDOW_DAYS = 3.0
STORIES_THRESHOLD = 0.3
STORIES_UNDATED_THRESHOLD = 0.4
STORIES_DUPLICATE_JACCARD = 0.5
STORIES_DUPLICATE_WINDOW_DAYS = 30.0

# An article body with fewer words than this is rejected as "no_body".
VALIDATION_MIN_BODY_WORDS = 20

# File types `scrapy replay` reads from folders.
REPLAY_EXTENSIONS = [".txt", ".html", ".htm", ".html.gz", ".htm.gz", ".warc", ".warc.gz"]

EXTENSIONS = {
    # Feeds (-o/-O) take the articles only, not the rejected pages (crawler/export/feeds.py).
    "scrapy.extensions.feedexport.FeedExporter": None,
    "crawler.export.feeds.ArticleFeedExporter": 0,
    "crawler.extensions.ProgressLine": 500,
    "crawler.middlewares.runs.CrawlRunRecorder": 600,
    # After the recorder: judges the finished run (crawler/alarms).
    "crawler.alarms.extension.RunAlarms": 700,
}
# Feed exports (`scrapy crawl SPIDER -O out.jsonl|.csv|.json`): the columns of the
# `articles` table an item carries, in the table's order (no raw page bytes),
# readable Arabic, and lists joined as in the database in CSV.
FEED_EXPORT_FIELDS = [
    "url", "input_ref", "parser", "outlet", "outlet_name", "canonical_url", "language", "title", "subtitle",
    "body", "captions", "image_url", "published_at", "published_raw", "modified_at", "captured_at", "section",
    "authors", "tags", "agency", "via", "word_count", "content_hash", "search_text", "warnings", "fetched_at",
]
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORTERS = {"csv": "crawler.export.feeds.ArticleCsvItemExporter"}
# The progress line is for interactive commands (replay); crawls log instead.
PROGRESS_ENABLED = False
PROGRESS_INTERVAL = 1.0

# --- Raw archive (WARC) ------------------------------------------------------
# Every HTTP response of a crawl, with its request, is written to WARC files
# (crawler/middlewares/warc.py): one set of files per run, the next file once
# one reaches WARC_MAX_SIZE bytes. `scrapy replay` reads .warc / .warc.gz files
# and archives nothing.
WARC_ENABLED = True
WARC_DIR = "data/warc"
WARC_MAX_SIZE = 100 * 1024 * 1024

# --- Incremental crawls and crawl runs ----------------------------------------
# crawler/middlewares/incremental.py: article pages known to crawl_state are
# asked for with If-None-Match / If-Modified-Since (a 304 ends there), or not
# at all when INCREMENTAL_SKIP_KNOWN is on and discovery's `lastmod` is no later
# than the last fetch. Spiders mark article requests with meta `article=True`
# and pass sitemap/Atom modification times in meta `lastmod` (see the module).
# crawler/middlewares/runs.py: a crawl_runs row per run; a JOBDIR resumes a
# paused run and starts over from the entry points after a crash.
INCREMENTAL_ENABLED = True
INCREMENTAL_SKIP_KNOWN = True
# A 304 to a weak ETag (W/"...") may hide an edit: such a page is fetched in
# full, without validators, every this many runs (0: never).
INCREMENTAL_WEAK_REFETCH_RUNS = 3
# A known article answering 404/410 is marked removed; after this many runs
# in a row of such answers it is asked for no more (0: always asked).
INCREMENTAL_GONE_RUNS = 3
# CRAWL_RUNS_ENABLED (a crawl_runs row per run) is not set here: the commands
# that crawl into the database (crawl, crawlall, runspider, replay) turn it on
# as their own default, which a project setting would override; shell, parse,
# check and the other commands write no crawl_runs row.
SCHEDULER = "crawler.middlewares.runs.ResumableScheduler"
SPIDER_MIDDLEWARES = {
    "crawler.middlewares.incremental.HttpValidatorsMiddleware": 950,
}

# --- Alarms (crawler/alarms) ---------------------------------------------------
# Each crawl of an outlet is compared with its recent finished runs in
# crawl_runs; an alarm is an `alerts` row, a WARNING line, exit status 3 of
# crawl/crawlall, and a notification. An outlet overrides any threshold in its
# description (Outlet.alarms, the name below without ALARMS_, in lower case).
ALARMS_ENABLED = True
ALARMS_HISTORY_RUNS = 10          # recent runs compared with
ALARMS_MIN_HISTORY_RUNS = 3       # fewer: only the floors and fixed limits apply
ALARMS_ARTICLES_MIN_RATIO = 0.25  # stored articles below this share of the recent median (0 always alarms)
# Share of article pages that must give each field; merged into the defaults
# (title 0.9, body 0.9, published_at 0.5, authors 0, section 0).
ALARMS_COVERAGE_FLOORS = {}
ALARMS_COVERAGE_MAX_DROP = 0.3    # largest fall of a field's coverage below its recent median
ALARMS_REJECTED_MAX_SHARE = 0.2   # of the article pages
ALARMS_HTTP_ERRORS_MAX_SHARE = 0.2  # of the requests: error answers (not 404/410) and network errors, after retries
ALARMS_MIN_COUNT = 3              # pages (or requests) a share needs to be judged
# Each alarm as JSON: on the standard input of this shell command, and/or POSTed to this URL.
ALARMS_NOTIFY_COMMAND = None
ALARMS_WEBHOOK_URL = None
ALARMS_NOTIFY_TIMEOUT = 10.0
# `scrapy canary`: the newest article's body needs this many words; the outlets'
# fixture pages are read with the current parser (relative: to the project root).
CANARY_MIN_BODY_WORDS = 20
CANARY_FIXTURES_DIR = "tests/sites"
# `scrapy check`: @scrapes asks for values as stored, not only keys (crawler/contracts.py).
SPIDER_CONTRACTS = {
    "scrapy.contracts.default.ScrapesContract": None,
    "crawler.contracts.StoredFieldsContract": 3,
}

# --- Live crawls: discovery, politeness, retries (crawler/spiders, crawler/discovery.py) ---
# Dated feed and sitemap entries older than this are skipped (0: no window);
# `scrapy crawl <spider> -a since=2024-11-01` sets the start of the window instead.
DISCOVERY_MAX_AGE_DAYS = 2
# Links followed from an entry point (robots.txt, home page, feeds, sitemaps,
# section pages): 1 = only the articles they name; 3 also reaches the articles
# of tag pages linked from related stories.
DISCOVERY_DEPTH = 3
# Pages of one listing read through its rel="next" links (or numbered page links).
DISCOVERY_MAX_PAGES = 3
# robots.txt is obeyed (above); AutoThrottle adapts the delay to each site's
# latency, starting slow; at most CONCURRENT_REQUESTS_PER_DOMAIN (above) at once.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 0.5
# Server errors, 429 and timeouts are retried with backoff (crawler/middlewares/backoff.py):
# Retry-After if sent, else RETRY_BACKOFF_BASE * 2**n seconds, at most RETRY_BACKOFF_MAX.
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 520, 521, 522, 524, 408]
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0
# Tests only: route every request to a local fixture server (crawler/middlewares/routing.py),
# e.g. -s FIXTURE_SERVER=http://127.0.0.1:8765. Unset in real crawls.
FIXTURE_SERVER = None

# --- Distributed crawls (crawler/distributed) ------------------------------------
# -s REDIS_URL=redis://host:6379/0: workers started with the same command share
# the request queue and duplicate filter in Redis (the add-on replaces SCHEDULER
# and DUPEFILTER_CLASS); unset, this changes nothing. Politeness settings apply
# per worker: N workers send up to N * CONCURRENT_REQUESTS_PER_DOMAIN at once.
ADDONS = {"crawler.distributed.DistributedCrawl": 100}
REDIS_URL = None
# Seconds without a heartbeat before a worker counts as dead and its requests
# go back in the queue; seconds between looks at the queue while idle.
REDIS_WORKER_TIMEOUT = 60.0
REDIS_IDLE_POLL = 0.2
# A worker started this many seconds or less after the end of the last run
# joins it (nothing to do) rather than starting a new one: the late workers
# of one schedule do not repeat the run.
REDIS_RUN_MIN_INTERVAL = 60.0

# --- Downloader middlewares of the sections above, in one place ---------------
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.backoff.BackoffRetryMiddleware": 550,
    # Scrapy's own, in their places, whose silent drops of a page become
    # rejected pages (crawler/middlewares/dropped.py).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.dropped.AccountedMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.dropped.SizeLimitedCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.dropped.AccountedRedirectMiddleware": 600,
    # Above RedirectMiddleware (600), so it sees a 3xx first and clears the
    # validators the redirected request would copy.
    "crawler.middlewares.incremental.IncrementalMiddleware": 650,
    # On the downloader side: it sees each response before retries, redirects
    # and decompression, as it came off the wire.
    "crawler.middlewares.warc.WarcArchiveMiddleware": 950,
    # Last of all: everything else sees the real URLs.
    "crawler.middlewares.routing.FixtureRoutingMiddleware": 990,
}
