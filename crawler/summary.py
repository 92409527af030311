"""The per-outlet summary table that replay (and crawl) commands print, and
the lines that say what the database did not take."""
from __future__ import annotations

from collections import defaultdict

STORED = ("new", "updated", "unchanged")
OUTCOMES = (*STORED, "rejected", "not_stored")
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
        if outcome in (*STORED, "not_stored") and len(parts) == 3:
            table[outlet][outcome] += value
        elif outcome == "rejected" and len(parts) == 4:
            table[outlet]["rejected"] += value
            table[outlet]["reasons"][parts[3]] = value
    return dict(table)


def totals(stats: dict) -> dict[str, int]:
    counts = {k: 0 for k in OUTCOMES}
    for row in outlet_counts(stats).values():
        for k in OUTCOMES:
            counts[k] += row[k]
    return counts


def format_summary(stats: dict) -> str:
    table = outlet_counts(stats)
    header = f"{'outlet':<14}{'new':>6}{'updated':>9}{'unchanged':>11}{'rejected':>10}{'not stored':>12}  reasons"
    lines = [header, "-" * len(header)]
    for outlet in sorted(table):
        row = table[outlet]
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(row["reasons"].items()))
        lines.append(f"{outlet:<14}{_columns(row)}  {reasons}")
    lines.append("-" * len(header))
    lines.append(f"{'total':<14}{_columns(totals(stats))}")
    not_articles = {key[len(NOT_ARTICLE):]: n for key, n in stats.items() if key.startswith(NOT_ARTICLE)}
    if not_articles:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(not_articles.items()))
        lines.append(f"{sum(not_articles.values())} pages skipped as not_article: {kinds}")
    # Known articles a crawl found gone (404, 410): kept in the database, marked removed.
    removed = {key.split("/")[1]: n for key, n in stats.items()
               if key.startswith("articles/") and key.endswith("/removed") and key.count("/") == 2}
    if removed:
        outlets = ", ".join(f"{outlet} {n}" for outlet, n in sorted(removed.items()))
        lines.append(f"{sum(removed.values())} articles removed from their sites (404/410): {outlets}")
    return "\n".join(lines)


def _columns(row: dict) -> str:
    return (f"{row['new']:>6}{row['updated']:>9}{row['unchanged']:>11}{row['rejected']:>10}"
            f"{row['not_stored']:>12}")


def storage_lines(stats: dict) -> list[str]:
    """The lines about the spool: earlier runs' pages stored first, this run's
    pages left in the spool (or lost), earlier runs' pages still waiting."""
    lines = []
    earlier = {k: stats.get(f"spool/{k}", 0) for k in (*STORED, "rejected")}
    if any(earlier.values()):
        counts = ", ".join(f"{k} {n}" for k, n in earlier.items())
        lines.append(f"stored from the spool of earlier runs: {sum(earlier.values())} ({counts})")
    not_stored = stats.get("articles/not_stored", 0)
    if not_stored:
        spooled, lost = stats.get("storage/spooled", 0), stats.get("articles/storage_lost", 0)
        line = f"not stored: {not_stored}"
        if spooled:
            line += f", spooled to {stats['storage/spool_file']}"
        if lost:
            line += f", lost: {lost}"
        lines.append(line)
    if stats.get("spool/left"):
        lines.append(f"still spooled from earlier runs: {stats['spool/left']} in {stats['spool/directory']}")
    return lines


def storage_failed(stats: dict) -> bool:
    """True when pages of the run (or of earlier runs' spool) are not in the database."""
    return bool(stats.get("articles/not_stored") or stats.get("spool/left"))
