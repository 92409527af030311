from crawler.outlets.base import Outlet, ParserVersion

OUTLET = Outlet(
    slug="khaberain",
    name_ar="خبرين",
    name_en="Khaberain",
    domains=("khabaren.net", "khaberain.com"),
    source_names=("خَبَرَيْن", "خبرين"),
    capture_template="khaberain",
    article_url_pattern=r"^https?://(www\.)?khabaren\.net/news/[a-z0-9-]+/?$",
    # The news listing (/news?page=<n>) is seen; category and author pages are leads.
    listing_url_patterns=(
        r"^https?://(www\.)?khabaren\.net/news/?(\?page=\d+)?$",
        r"^https?://(www\.)?khabaren\.net/(categories|author)/[a-z0-9-]+/?$",
    ),
    pagination_pattern=r"/news\?page=\d+$",
    # Feeds and sitemaps are unverified: the home page's <link rel="alternate">
    # and robots.txt name them.
    section_pages=("https://khabaren.net/news",),
    sample_article="https://khabaren.net/news/wada-defends-handling-of-chinese-swimmers-doping-case",
    # Alarm thresholds over the ALARMS_* settings (crawler/alarms/checks.py).
    # Every article page names its category: a run that loses it is an alarm.
    alarms={"coverage_floors": {"section": 0.8}},
    parser_versions=(
        # The teaser ending in "اكتشف التفاصيل على خَبَرَيْن", the "التصنيف:" line,
        # the share bar and the original CNN headline above the body, as the
        # captures show them.
        ParserVersion("2024", cleanup_selectors=(
            ".article-teaser", ".article-category", ".share-bar", ".article-original-title",
        )),
    ),
)
