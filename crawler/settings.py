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

# Database: the DATABASE_URL environment variable wins; unset means a SQLite
# file under data/. PostgreSQL: postgresql+psycopg://user:pass@host/db
DATABASE_URL = None
STORAGE_BATCH_SIZE = 100

# An article body with fewer words than this is rejected as "no_body".
VALIDATION_MIN_BODY_WORDS = 20

# File types `scrapy replay` reads from folders.
REPLAY_EXTENSIONS = [".txt", ".html", ".htm", ".html.gz", ".htm.gz"]

EXTENSIONS = {"crawler.extensions.ProgressLine": 500}
# The progress line is for interactive commands (replay); crawls log instead.
PROGRESS_ENABLED = False
PROGRESS_INTERVAL = 1.0
