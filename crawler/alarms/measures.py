"""What a run is judged by, read from its stats: the live stats at the end of a
crawl, or the `crawl_runs.stats` JSON of an earlier run (the same keys)."""
from __future__ import annotations

from dataclasses import dataclass, field

from crawler.middlewares.runs import requests_sent, run_errors

# Fields whose coverage is watched: the share of article pages that gave them.
COVERAGE_FIELDS = ("title", "body", "published_at", "authors", "section")
COVERAGE_PAGES = "coverage/pages"
COVERAGE_FIELD = "coverage/fields/"
# Feeds and sitemaps that answered (2xx, 304) and those that did not, by URL.
ENTRY_POINTS_ANSWERED = "entry_points/answered"
ENTRY_POINTS_FAILED = "entry_points/failed"
# Rejections of a page that was never read (it did not download): they say
# nothing of the parser, so they are left out of the field coverage.
FETCH_FAILURES = frozenset({"download_error", "too_large", "redirect_loop", "offsite_redirect",
                            "too_many_redirects", "not_html"})
# Article answers that mean "gone", not "failed".
GONE = frozenset({404, 410})


def has_value(value) -> bool:
    """A field the page gave: not None, not empty."""
    return value is not None and value != "" and value != [] and value != ()


def is_fetch_failure(reason: str) -> bool:
    return reason.startswith("http_") or reason in FETCH_FAILURES


@dataclass
class RunMeasures:
    stored: int = 0  # new + updated + unchanged articles
    rejected: int = 0
    rejected_reasons: dict[str, int] = field(default_factory=dict)
    pages: int = 0  # article pages read (the coverage's denominator)
    coverage: dict[str, int] = field(default_factory=dict)  # field -> pages that gave it
    requests: int = 0
    http_failures: dict[str, int] = field(default_factory=dict)  # "http/503", "download/TimeoutError"
    entry_points_answered: list[str] = field(default_factory=list)
    entry_points_failed: dict[str, str] = field(default_factory=dict)  # URL -> what happened
    discovery_errors: dict[str, int] = field(default_factory=dict)  # feed/sitemap -> unreadable

    def coverage_share(self, name: str) -> float | None:
        return self.coverage.get(name, 0) / self.pages if self.pages else None

    @property
    def rejected_share(self) -> float | None:
        total = self.stored + self.rejected
        return self.rejected / total if total else None

    @property
    def http_failure_share(self) -> float | None:
        return sum(self.http_failures.values()) / self.requests if self.requests else None


def run_measures(stats: dict) -> RunMeasures:
    get = lambda key: int(stats.get(key) or 0)  # noqa: E731
    reasons: dict[str, int] = {}
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 4 and parts[0] == "articles" and parts[2] == "rejected":
            reasons[parts[3]] = reasons.get(parts[3], 0) + int(value)
    return RunMeasures(
        stored=sum(get(f"articles/{k}") for k in ("new", "updated", "unchanged")),
        rejected=get("articles/rejected"),
        rejected_reasons=reasons,
        pages=get(COVERAGE_PAGES),
        coverage={name: get(COVERAGE_FIELD + name) for name in COVERAGE_FIELDS},
        requests=requests_sent(stats),
        http_failures=http_failures(stats),
        entry_points_answered=list(stats.get(ENTRY_POINTS_ANSWERED) or []),
        entry_points_failed=dict(stats.get(ENTRY_POINTS_FAILED) or {}),
        discovery_errors={kind: get(f"discovery/errors/{kind}") for kind in ("feed", "sitemap")
                          if get(f"discovery/errors/{kind}")},
    )


def http_failures(stats: dict) -> dict[str, int]:
    """Requests that failed for good: error answers (not 404/410: a page that is
    gone) once the retries are taken off, and network errors after retries."""
    retried: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("retry/reason_count/"):
            reason = key.split("/", 2)[2]
            if reason[:3].isdigit():
                retried[reason[:3]] = retried.get(reason[:3], 0) + int(value)
    failures = {}
    prefix = "downloader/response_status_count/"
    for key, value in stats.items():
        if key.startswith(prefix) and key[len(prefix):].isdigit():
            status = int(key[len(prefix):])
            if status >= 400 and status not in GONE:
                final = int(value) - retried.get(str(status), 0)
                if final > 0:
                    failures[f"http/{status}"] = final
    failures.update({k: v for k, v in run_errors(stats).items() if k.startswith("download/")})
    return failures
