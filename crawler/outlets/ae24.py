from crawler.outlets.base import Outlet

OUTLET = Outlet(
    slug="24ae",
    name_ar="موقع 24",
    name_en="24.ae",
    domains=("24.ae",),
    source_names=("موقع 24", "24.ae"),
    article_url_pattern=r"^https?://(www\.)?24\.ae/article/\d+(/\d+)?/[^/?#]+",
    feeds=("https://24.ae/rss.aspx",),
    section_pages=("https://24.ae/section/1/",),
    notes="Own pages not captured yet; seen republished by arabkhabar.com.",
)
