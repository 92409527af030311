"""The per-outlet summary table that replay (and crawl) commands print."""
from __future__ import annotations

from collections import defaultdict

OUTCOMES = ("new", "updated", "unchanged", "rejected")
# Saved pages that are not one article, by kind (crawler.replay).
NOT_ARTICLE = "replay/not_article/"


def outlet_counts(stats: dict) -> dict[str, dict]:
    """Read `articles/<outlet>/<outcome>` and `articles/<outlet>/rejected/<reason>`."""
    table: dict[str, dict] = defaultdict(lambda: {**{k: 0 for k in OUTCOMES}, "reasons": {}})
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) < 3 or parts[0] != "articles":
            continue
        outlet, outcome = parts[1], parts[2]
        if outcome in ("new", "updated", "unchanged") and len(parts) == 3:
            table[outlet][outcome] += value
        elif outcome == "rejected" and len(parts) == 4:
            table[outlet]["rejected"] += value
            table[outlet]["reasons"][parts[3]] = value
    return dict(table)


def format_summary(stats: dict) -> str:
    table = outlet_counts(stats)
    header = f"{'outlet':<14}{'new':>6}{'updated':>9}{'unchanged':>11}{'rejected':>10}  reasons"
    lines = [header, "-" * len(header)]
    totals = {k: 0 for k in OUTCOMES}
    for outlet in sorted(table):
        row = table[outlet]
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(row["reasons"].items()))
        lines.append(
            f"{outlet:<14}{row['new']:>6}{row['updated']:>9}{row['unchanged']:>11}{row['rejected']:>10}  {reasons}"
        )
        for k in OUTCOMES:
            totals[k] += row[k]
    lines.append("-" * len(header))
    lines.append(
        f"{'total':<14}{totals['new']:>6}{totals['updated']:>9}{totals['unchanged']:>11}{totals['rejected']:>10}"
    )
    not_articles = {key[len(NOT_ARTICLE):]: n for key, n in stats.items() if key.startswith(NOT_ARTICLE)}
    if not_articles:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(not_articles.items()))
        lines.append(f"{sum(not_articles.values())} pages skipped as not_article: {kinds}")
    return "\n".join(lines)
