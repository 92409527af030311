"""The report as one HTML file: Arabic, right to left (`dir="rtl"`,
`lang="ar"`), a font stack of Debian's Arabic fonts (Noto, then DejaVu, which
`fonts-dejavu-core` brings), CSS and the chart (SVG) inline, no script and
nothing fetched. Every text from the database is escaped: titles and error
reasons come from the web."""
from __future__ import annotations

import math
from datetime import date, datetime
from html import escape

from crawler.report.data import SHORT_BODY_WORDS, ReportData

# Okabe-Ito: told apart with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D1F", "#000000")
UNKNOWN_COLOUR = "#999999"

STYLE = """
:root { color-scheme: light; }
body { font-family: "Noto Naskh Arabic", "Noto Sans Arabic", "DejaVu Sans", "Arial", sans-serif;
       margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #1b1b1b; background: #fff; line-height: 1.6; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #0072B2; padding-bottom: .2rem; margin-top: 2.2rem; }
.meta { color: #555; font-size: .95rem; }
.meta bdi, td bdi { unicode-bidi: isolate; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; margin-top: .6rem; }
th, td { border: 1px solid #d9d9d9; padding: .3rem .5rem; text-align: start; vertical-align: top; }
th { background: #f2f5f9; }
td.num { text-align: end; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { background: #e8eef5; width: 7rem; height: .7rem; display: inline-block; vertical-align: middle; }
.bar span { background: #009E73; height: 100%; display: block; }
.bad { color: #B00020; font-weight: bold; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.4rem; }
.legend i { display: inline-block; width: .9rem; height: .9rem; margin-inline-end: .35rem; vertical-align: middle; }
figure { margin: .5rem 0; }
svg text { font-family: "DejaVu Sans", sans-serif; font-size: 11px; fill: #333; }
.empty { color: #666; font-style: italic; }
"""

CHART_WIDTH, CHART_HEIGHT = 1000, 320
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 12, 44


def render_report(data: ReportData) -> str:
    colours = outlet_colours(data)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ar" dir="rtl">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>تقرير الأخبار المجمّعة</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<h1>تقرير الأخبار المجمّعة</h1>",
        header(data),
        '<section id="daily">',
        "<h2>المقالات حسب المنفذ واليوم</h2>",
        daily_section(data, colours),
        "</section>",
        '<section id="coverage">',
        "<h2>تغطية الحقول حسب المنفذ</h2>",
        coverage_section(data),
        "</section>",
        '<section id="runs">',
        "<h2>آخر عمليات الزحف وأخطاؤها</h2>",
        runs_section(data),
        "</section>",
        '<section id="stories">',
        "<h2>القصص التي غطتها أكثر المنافذ</h2>",
        stories_section(data),
        "</section>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def ltr(value) -> str:
    """Latin text (URLs, slugs, times, reasons) isolated inside the Arabic flow."""
    return f'<bdi dir="ltr">{e(value)}</bdi>'


def when(moment: datetime | date | None) -> str:
    if moment is None:
        return "—"
    text = moment.strftime("%Y-%m-%d %H:%M") if isinstance(moment, datetime) else moment.isoformat()
    return ltr(text)


def outlet_label(data: ReportData, slug: str | None) -> str:
    outlet = data.outlets.get(slug)
    return e(outlet.label if outlet else slug or "غير معروف")


def outlet_colours(data: ReportData) -> dict[str | None, str]:
    """A colour per outlet of the chart, the busiest first."""
    totals = {outlet: sum(by_day.values()) for outlet, by_day in data.daily.items()}
    named = sorted((o for o in totals if o is not None), key=lambda o: (-totals[o], o))
    colours = {outlet: PALETTE[n % len(PALETTE)] for n, outlet in enumerate(named)}
    if None in totals:
        colours[None] = UNKNOWN_COLOUR
    return colours


def header(data: ReportData) -> str:
    span = (f"من {when(data.first_published)} إلى {when(data.last_published)}"
            if data.first_published else "لا تاريخ نشر")
    return (
        '<p class="meta">'
        f"قاعدة البيانات: {ltr(data.database)}<br>"
        f"أُنشئ في {when(data.generated_at)} (UTC)<br>"
        f"المقالات: <bdi>{data.articles}</bdi> — المنافذ: <bdi>{len(data.coverage)}</bdi> — "
        f"النشر {span}، وبلا تاريخ: <bdi>{data.undated}</bdi>"
        "</p>"
    )


def nice_step(maximum: int, ticks: int = 5) -> int:
    """A step of 1, 2 or 5 times a power of ten giving about `ticks` lines."""
    raw = max(maximum / ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def daily_chart(data: ReportData, colours: dict[str | None, str]) -> str:
    """Stacked bars, one per day (time runs left to right, as on a calendar)."""
    days = data.days
    totals = [sum(data.daily.get(o, {}).get(day, 0) for o in colours) for day in days]
    step = nice_step(max(totals, default=1))
    top = max(step * math.ceil(max(totals, default=1) / step), step)
    plot_w = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / len(days)
    bar = max(slot * 0.8, 1.0)
    y = lambda value: MARGIN_TOP + plot_h - plot_h * value / top  # noqa: E731
    out = [
        f'<svg id="daily-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="daily-chart-title" direction="ltr" style="direction: ltr">',
        f'<title id="daily-chart-title">المقالات المنشورة في اليوم لكل منفذ، {len(days)} يومًا</title>',
    ]
    for value in range(0, top + 1, step):
        out.append(f'<line x1="{MARGIN_LEFT}" x2="{CHART_WIDTH - MARGIN_RIGHT}" y1="{y(value):.1f}" '
                   f'y2="{y(value):.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{MARGIN_LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>')
    label_every = max(1, math.ceil(len(days) / 12))
    for index, day in enumerate(days):
        x = MARGIN_LEFT + slot * index + (slot - bar) / 2
        base = 0
        for outlet, colour in colours.items():
            count = data.daily.get(outlet, {}).get(day, 0)
            if not count:
                continue
            out.append(
                f'<rect class="day-bar" data-outlet="{e(outlet)}" data-day="{day.isoformat()}" data-articles="{count}" '
                f'x="{x:.1f}" y="{y(base + count):.1f}" width="{bar:.1f}" height="{y(base) - y(base + count):.1f}" '
                f'fill="{colour}"><title>{outlet_label(data, outlet)} — {day.isoformat()}: {count}</title></rect>'
            )
            base += count
        if index % label_every == 0:
            out.append(f'<text x="{x + bar / 2:.1f}" y="{CHART_HEIGHT - MARGIN_BOTTOM + 16}" '
                       f'text-anchor="middle">{day.strftime("%m-%d")}</text>')
    out.append(f'<line x1="{MARGIN_LEFT}" x2="{CHART_WIDTH - MARGIN_RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
               'stroke="#555"/>')
    out.append(f'<text x="{MARGIN_LEFT + plot_w / 2:.1f}" y="{CHART_HEIGHT - 6}" text-anchor="middle">'
               f'{days[0].isoformat()} … {days[-1].isoformat()} (UTC)</text>')
    out.append("</svg>")
    return "\n".join(out)


def daily_section(data: ReportData, colours: dict[str | None, str]) -> str:
    if not data.days:
        return '<p class="empty">لا مقالات مؤرخة بعد.</p>'
    totals = {outlet: sum(by_day.values()) for outlet, by_day in data.daily.items()}
    legend = "".join(
        f'<li><i style="background:{colour}"></i>{outlet_label(data, outlet)} (<bdi>{totals[outlet]}</bdi>)</li>'
        for outlet, colour in colours.items()
    )
    notes = (f"{len(data.days)} يومًا حتى آخر يوم نُشر فيه مقال: <bdi>{data.window_articles}</bdi> مقالًا؛ "
             f"وقبلها <bdi>{data.other_days}</bdi>، وبلا تاريخ <bdi>{data.undated}</bdi>.")
    return (f'<p class="meta">{notes}</p><figure>{daily_chart(data, colours)}'
            f'<figcaption><ul class="legend">{legend}</ul></figcaption></figure>')


def share(part: int, whole: int) -> str:
    percent = 100 * part / whole if whole else 0
    return (f'<td class="num"><span class="bar"><span style="width:{percent:.0f}%"></span></span> '
            f"<bdi>{percent:.0f}%</bdi></td>")


def coverage_section(data: ReportData) -> str:
    if not data.coverage:
        return '<p class="empty">لا مقالات بعد.</p>'
    rows = "".join(
        f"<tr><td>{outlet_label(data, c.outlet)} {ltr(c.outlet or '')}</td><td class=\"num\">{c.articles}</td>"
        f"{share(c.title, c.articles)}{share(c.published_at, c.articles)}{share(c.authors, c.articles)}"
        f"{share(c.section, c.articles)}"
        f'<td class="num">{"—" if c.average_words is None else f"{c.average_words:.0f}"}</td>'
        f'<td class="num">{c.short_bodies}</td></tr>'
        for c in data.coverage
    )
    return (
        "<table><thead><tr><th>المنفذ</th><th>المقالات</th><th>العنوان</th><th>تاريخ النشر</th><th>الكاتب</th>"
        f"<th>القسم</th><th>متوسط كلمات النص</th><th>نصوص أقصر من {SHORT_BODY_WORDS} كلمة</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def runs_section(data: ReportData) -> str:
    if not data.runs:
        return '<p class="empty">لم تُسجَّل أي عملية زحف بعد.</p>'
    rows = []
    for run in data.runs:
        errors = "، ".join(ltr(f"{reason}: {count}") for reason, count in sorted(run.errors.items()))
        finished = when(run.finished_at) if run.finished_at else '<span class="bad">لم تنتهِ</span>'
        reason = run.finish_reason or ""
        flagged = ' class="bad"' if reason and reason != "finished" else ""
        errors_class = ' class="bad"' if run.errors else ""
        rows.append(
            f"<tr><td class=\"num\">{run.id}</td><td>{ltr(run.spider)}</td><td>{when(run.started_at)}</td>"
            f"<td>{finished}</td><td{flagged}>{ltr(reason)}</td><td class=\"num\">{run.requests}</td>"
            f'<td class="num">{run.new}</td><td class="num">{run.updated}</td><td class="num">{run.unchanged}</td>'
            f'<td class="num">{run.rejected}</td><td class="num">{run.removed}</td>'
            f'<td{errors_class}>{errors or "—"}</td></tr>'
        )
    return (
        "<table><thead><tr><th>#</th><th>العنكبوت</th><th>البدء</th><th>الانتهاء</th><th>السبب</th>"
        "<th>الطلبات</th><th>جديدة</th><th>محدّثة</th><th>دون تغيير</th><th>مرفوضة</th><th>محذوفة</th>"
        f"<th>الأخطاء</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def stories_section(data: ReportData) -> str:
    if data.stories is None:
        return '<p class="empty">قاعدة البيانات بلا قصص (لا عرض story_summary).</p>'
    if not data.stories:
        return '<p class="empty">لا قصة غطاها منفذان أو أكثر بعد.</p>'
    rows = "".join(
        f"<tr><td>{e(story.title) or '—'}</td><td class=\"num\">{story.outlet_count}</td>"
        f'<td class="num">{story.article_count}</td>'
        f"<td>{'، '.join(outlet_label(data, slug) for slug in story.outlets)}</td>"
        f"<td>{when(story.first_published_at)}</td><td>{when(story.last_published_at)}</td></tr>"
        for story in data.stories
    )
    return (
        "<table><thead><tr><th>القصة</th><th>المنافذ</th><th>المقالات</th><th>المنافذ التي غطتها</th>"
        f"<th>أول نشر</th><th>آخر نشر</th></tr></thead><tbody>{rows}</tbody></table>"
    )
