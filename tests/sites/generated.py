"""A news site of any size, written for `FixtureServer(sites_dir=...)`: for
crawls that need many articles (distributed crawls, their benchmark) rather
than the template traps of the hand-written sites beside this file.

    urls = write_news_site(tmp_path / "sites", articles=400)
    with FixtureServer(sites_dir=tmp_path / "sites") as server:
        ...scrapy crawl generic -a url=https://news.example/ ...

The site: robots.txt names a sitemap index of `sitemaps` sitemaps, which list
every article with its `lastmod`; the home page links to the first articles;
each article (`/news/<n>`, one NewsArticle in JSON-LD, a body of its own) links
to the next two, so discovery finds most articles more than once.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HOST = "news.example"
# Dated inside the window of a crawl run with `-a since=2024-11-01`.
PUBLISHED = datetime(2024, 11, 20, 8, 0, tzinfo=timezone.utc)
SINCE = "2024-11-01"

_WORDS = (
    "أعلنت الحكومة اليوم عن خطة جديدة لتطوير البنية التحتية في المدن الكبرى وتحسين الخدمات العامة "
    "وقال المتحدث الرسمي إن المشروع يشمل بناء طرق ومدارس ومستشفيات خلال السنوات المقبلة "
    "وأضاف أن التمويل سيأتي من الميزانية العامة ومن شراكات مع القطاع الخاص والمستثمرين "
    "ويتوقع الخبراء أن تسهم الخطة في خلق فرص عمل للشباب وتنشيط الاقتصاد المحلي في المناطق الريفية "
    "وأشار التقرير إلى أن الأسعار ارتفعت في الأسواق بسبب زيادة الطلب وتراجع الإنتاج الزراعي"
).split()


def article_path(number: int) -> str:
    return f"/news/{number}"


def article_url(number: int, host: str = HOST) -> str:
    return f"https://{host}{article_path(number)}"


def _body(number: int) -> list[str]:
    """Five paragraphs of Arabic prose of the article's own (its number is in
    the first one, so no two bodies hash alike)."""
    rng = random.Random(number)
    paragraphs = [f"الخبر رقم {number}: " + " ".join(rng.choices(_WORDS, k=30)) + "."]
    paragraphs += [" ".join(rng.choices(_WORDS, k=rng.randint(25, 40))) + "." for _ in range(4)]
    return paragraphs


def _article_page(number: int, total: int, host: str) -> str:
    url = article_url(number, host)
    title = f"تقرير رقم {number} عن خطة تطوير المدن"
    published = (PUBLISHED + timedelta(minutes=number)).isoformat()
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title, "url": url,
            "datePublished": published, "author": {"@type": "Person", "name": "سارة أحمد"},
            "articleSection": "محليات", "inLanguage": "ar"}
    related = [n for n in (number + 1, number + 2) if n <= total]
    links = "".join(f'<li><a href="{article_path(n)}">تقرير رقم {n}</a></li>' for n in related)
    paragraphs = "".join(f"<p>{text}</p>" for text in _body(number))
    return f"""<!DOCTYPE html>
<html dir="rtl" lang="ar"><head><meta charset="UTF-8"><title>{title}</title>
<link rel="canonical" href="{url}"><meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script></head>
<body><header><a href="/">الرئيسية</a></header>
<article><h1>{title}</h1><p class="byline">سارة أحمد</p>{paragraphs}</article>
<aside><h2>اقرأ أيضاً</h2><ul>{links}</ul></aside></body></html>
"""


def write_news_site(sites_dir: Path, *, articles: int = 400, sitemaps: int = 4, home_links: int = 20,
                    host: str = HOST) -> list[str]:
    """Write the site into `sites_dir/<host>/`; returns its article URLs."""
    folder = sites_dir / host
    (folder / "news").mkdir(parents=True, exist_ok=True)
    routes: dict[str, dict] = {
        "/": {"file": "home.html"},
        "/robots.txt": {"file": "robots.txt"},
        "/sitemap.xml": {"file": "sitemap.xml"},
    }
    (folder / "robots.txt").write_text(f"User-agent: *\nDisallow: /search\n\nSitemap: https://{host}/sitemap.xml\n",
                                       encoding="utf-8")
    (folder / "404.html").write_text("<html><body><h1>404</h1></body></html>\n", encoding="utf-8")
    numbers = list(range(1, articles + 1))
    for number in numbers:
        name = f"news/{number}.html"
        (folder / name).write_text(_article_page(number, articles, host), encoding="utf-8")
        routes[article_path(number)] = {"file": name}
    share = -(-articles // sitemaps)
    index = []
    for part in range(sitemaps):
        chunk = numbers[part * share:(part + 1) * share]
        entries = "".join(
            f"<url><loc>{article_url(n, host)}</loc><lastmod>{(PUBLISHED + timedelta(minutes=n)).isoformat()}</lastmod></url>"
            for n in chunk)
        name = f"sitemap-{part + 1}.xml"
        (folder / name).write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                                   f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n',
                                   encoding="utf-8")
        routes[f"/{name}"] = {"file": name}
        index.append(f"<sitemap><loc>https://{host}/{name}</loc></sitemap>")
    (folder / "sitemap.xml").write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                                        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                        f'{"".join(index)}</sitemapindex>\n', encoding="utf-8")
    teasers = "".join(f'<li><a href="{article_path(n)}">تقرير رقم {n}</a></li>' for n in numbers[:home_links])
    (folder / "home.html").write_text(f"""<!DOCTYPE html>
<html dir="rtl" lang="ar"><head><meta charset="UTF-8"><title>أخبار المدن</title>
<meta property="og:type" content="website"></head>
<body><h1>أخبار المدن</h1><ul>{teasers}</ul></body></html>
""", encoding="utf-8")
    config = {"host": host, "scheme": "https", "last_modified": "2024-11-20T07:00:00+00:00",
              "not_found": "404.html", "routes": routes}
    (folder / "routes.json").write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")
    return [article_url(n, host) for n in numbers]
