from crawler.outlets.base import Outlet

OUTLET = Outlet(
    slug="khaberain",
    name_ar="خبرين",
    name_en="Khaberain",
    domains=("khabaren.net", "khaberain.com"),
    source_names=("خَبَرَيْن", "خبرين"),
    capture_template="khaberain",
    article_url_pattern=r"^https?://(www\.)?khabaren\.net/news/[a-z0-9-]+/?$",
    section_pages=("https://khabaren.net/news",),
)
