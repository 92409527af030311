from crawler.outlets.base import Outlet, ParserVersion

OUTLET = Outlet(
    slug="24ae",
    name_ar="موقع 24",
    name_en="24.ae",
    domains=("24.ae",),
    # Abu Dhabi: UAE time, no daylight saving.
    timezone="Asia/Dubai",
    source_names=("موقع 24", "24.ae"),
    # Now /article/<id>/<slug>; older pages /article/<id>/<n>/<slug>.
    article_url_pattern=r"^https?://(www\.)?24\.ae/article/\d+(/\d+)?/[^/?#]+",
    # Section pages (/section/<n>/<slug>) are seen; tag and writer pages are leads.
    listing_url_patterns=(
        r"^https?://(www\.)?24\.ae/section/\d+(/[^/?#]*)?/?(\?page=\d+)?$",
        r"^https?://(www\.)?24\.ae/(tags|writer)/[^/?#]+/?$",
    ),
    feeds=("https://24.ae/rss.aspx",),
    section_pages=("https://24.ae/section/1/",),
    sample_article="https://24.ae/article/845201/مباحثات-بين-وزيري-خارجية-روسيا-والصين-في-قمة-العشرين",
    # Alarm thresholds over the ALARMS_* settings (crawler/alarms/checks.py).
    # Every article page names its section: a run that loses it is an alarm.
    alarms={"coverage_floors": {"section": 0.8}},
    parser_versions=(
        # The tag line and share bar under the text (selectors: leads from the fixture copy).
        ParserVersion("2024", cleanup_selectors=(".article-tags", ".article-share")),
    ),
    notes="Own pages not captured yet; seen republished by arabkhabar.com.",
)
