from crawler.outlets.base import Outlet, ParserVersion

OUTLET = Outlet(
    slug="thenewkhalij",
    name_ar="الخليج الجديد",
    name_en="Al-Khaleej Al-Jadeed",
    domains=("thenewkhalij.news",),
    source_names=("الخليج الجديد", "thenewkhalij"),
    # Unverified: no own page seen yet. The fixture site uses /article/<id>[/<slug>].
    article_url_pattern=r"^https?://(www\.)?thenewkhalij\.news/article/\d+(/[^/?#]*)?$",
    listing_url_patterns=(
        r"^https?://(www\.)?thenewkhalij\.news/(category|tag|writer)/[^/?#]+/?(\?page=\d+)?$",
    ),
    # Unverified lead; the home page, robots.txt and its feed links are read too.
    section_pages=("https://thenewkhalij.news/category/سياسة",),
    sample_article="https://thenewkhalij.news/article/322611/روسيا-قرار-رفع-طالبان-من-قائمة-المنظمات-الإرهابية-اتخذ-على-أعلى-مستوى",
    # Alarm thresholds over the ALARMS_* settings (crawler/alarms/checks.py).
    # Every article page names its section: a run that loses it is an alarm.
    alarms={"coverage_floors": {"section": 0.8}},
    parser_versions=(
        # The keyword line, the share bar and inline "اقرأ أيضاً" headlines.
        ParserVersion("2024", cleanup_selectors=(".article-keywords", ".article-share", ".read-also")),
    ),
    notes="Own pages not captured yet; seen republished by arabkhabar.com.",
)
