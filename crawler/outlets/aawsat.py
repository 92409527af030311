from crawler.outlets.base import Outlet

OUTLET = Outlet(
    slug="aawsat",
    name_ar="الشرق الأوسط",
    name_en="Asharq Al-Awsat",
    domains=("aawsat.com",),
    source_names=("الشرق الأوسط", "aawsat.com"),
    capture_template="aawsat",
    article_url_pattern=(
        r"^https?://(www\.|m\.)?aawsat\.com/("
        r"home/article/\d+/|node/\d+|"
        r"(?!tags/|search|writer/|home/writer/|taxonomy/)[^/]+/[^/]+/\d+-)"
    ),
    feeds=("https://aawsat.com/feed",),
)
