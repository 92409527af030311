from crawler.outlets.base import Outlet, ParserVersion

OUTLET = Outlet(
    slug="aawsat",
    name_ar="الشرق الأوسط",
    name_en="Asharq Al-Awsat",
    domains=("aawsat.com",),
    source_names=("الشرق الأوسط", "aawsat.com"),
    capture_template="aawsat",
    # Saudi-owned, edited in Riyadh and London; its pages print Riyadh times (to verify live).
    timezone="Asia/Riyadh",
    # Now /<section>/<subsection>/<id>-<slug>; older /home/article/<id>/[<writer>/]<slug>
    # and /node/<id>; mobile pages on m.aawsat.com.
    article_url_pattern=(
        r"^https?://(www\.|m\.)?aawsat\.com/("
        r"home/article/\d+/|node/\d+|"
        r"(?!tags/|search|writer/|home/writer/|taxonomy/)[^/]+/[^/]+/\d+-)"
    ),
    # Tag, writer and taxonomy pages: listings (search is disallowed by robots.txt).
    listing_url_patterns=(
        r"^https?://(www\.|m\.)?aawsat\.com/(tags|writer|home/writer|taxonomy/term)/[^/?#]+/?(\?page=\d+)?$",
    ),
    # Drupal pages listings from 0: ?page=1 is the second page.
    pagination_pattern=r"[?&]page=\d+$",
    feeds=("https://aawsat.com/feed",),
    section_pages=("https://aawsat.com/العالم",),
    sample_article="https://aawsat.com/العالم/أوروبا/5083127-أوكرانيا-صاروخ-روسي-أصاب-سفينة-مدنية-في-ميناء-أوديسا-وأوقع-قتيلا",
    # Alarm thresholds over the ALARMS_* settings (crawler/alarms/checks.py).
    # Every article page names its section (breadcrumb, JSON-LD): a run that loses it is an alarm.
    alarms={"coverage_floors": {"section": 0.8}},
    parser_versions=(
        # The logo's text "TT", the print header repeating title and captions,
        # and the next article of the infinite scroll.
        ParserVersion("drupal-2023", cleanup_selectors=(".tt-mark", ".node-print-header", ".infinite-scroll-next")),
    ),
    notes="Older site (archive.aawsat.com, Drupal 7) keeps its own capture layout.",
)
