"""The checks of a run against its thresholds and the outlet's recent runs.

Thresholds are the `ALARMS_*` settings; an outlet's description overrides any
of them in `Outlet.alarms`, by the setting's name without the prefix, in lower
case (`alarms={"coverage_floors": {"authors": 0.5}, "rejected_max_share": 0.4}`;
coverage floors are merged field by field). Relative checks need
`min_history_runs` earlier finished runs of the same spider.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from statistics import median

from crawler.alarms.measures import COVERAGE_FIELDS, RunMeasures


@dataclass(frozen=True)
class Thresholds:
    history_runs: int = 10
    min_history_runs: int = 3
    # Stored articles below this share of the recent median: an alarm (0 always is one).
    articles_min_ratio: float = 0.25
    # Share of article pages that must give each field, whatever the history...
    coverage_floors: dict[str, float] = field(default_factory=lambda: {
        "title": 0.9, "body": 0.9, "published_at": 0.5, "authors": 0.0, "section": 0.0})
    # ...and the largest fall below its recent median (0.3: from 90% to under 60%).
    coverage_max_drop: float = 0.3
    rejected_max_share: float = 0.2
    http_errors_max_share: float = 0.2
    # Shares are judged on at least this many pages (or requests).
    min_count: int = 3

    @classmethod
    def from_settings(cls, settings, overrides: dict | None = None) -> Thresholds:
        values = {}
        for spec in fields(cls):
            name = f"ALARMS_{spec.name.upper()}"
            if spec.name == "coverage_floors":
                floors = dict(cls().coverage_floors)
                floors.update(settings.getdict(name) if settings.get(name) is not None else {})
                values[spec.name] = floors
            elif settings.get(name) is not None:
                values[spec.name] = (settings.getint if spec.type == "int" else settings.getfloat)(name)
        for key, value in (overrides or {}).items():
            if key == "coverage_floors":
                values[key] = {**values.get(key, cls().coverage_floors), **value}
            elif key in {spec.name for spec in fields(cls)}:
                values[key] = value
            else:
                raise ValueError(f"unknown alarm threshold {key!r} (known: {', '.join(f.name for f in fields(cls))})")
        return cls(**values)


@dataclass(frozen=True)
class Alarm:
    kind: str  # articles, coverage/<field>, rejected, http_errors, entry_point
    measured: float | None
    expected: float | None
    message: str


def evaluate(run: RunMeasures, history: list[RunMeasures], limits: Thresholds,
             declared_entry_points: tuple[str, ...] = ()) -> list[Alarm]:
    """Every alarm the run raises; `history` holds the earlier finished runs, newest first."""
    alarms: list[Alarm] = []
    recent = history[:limits.history_runs]
    enough_history = len(recent) >= limits.min_history_runs
    alarms += _articles(run, recent, limits, enough_history)
    alarms += _coverage(run, recent, limits)
    alarms += _rejected(run, limits)
    alarms += _http_errors(run, limits)
    alarms += _entry_points(run, recent, declared_entry_points)
    return alarms


def _articles(run, recent, limits, enough_history) -> list[Alarm]:
    usual = median(r.stored for r in recent) if enough_history else None
    if run.stored == 0:
        expected = f", against {usual:g} in the recent median" if usual else ""
        return [Alarm("articles", 0, usual, f"no article stored{expected}")]
    if usual and run.stored < usual * limits.articles_min_ratio:
        return [Alarm("articles", run.stored, usual,
                      f"{run.stored} articles stored, below {limits.articles_min_ratio:.0%} of the recent "
                      f"median of {usual:g} ({len(recent)} runs)")]
    return []


def _coverage(run, recent, limits) -> list[Alarm]:
    if run.pages < limits.min_count:
        return []
    comparable = [r for r in recent if r.pages >= limits.min_count]
    alarms = []
    for name in COVERAGE_FIELDS:
        share = run.coverage_share(name)
        floor = limits.coverage_floors.get(name, 0.0)
        usual = (median(r.coverage_share(name) for r in comparable)
                 if len(comparable) >= limits.min_history_runs else None)
        expected = max(floor, usual - limits.coverage_max_drop) if usual is not None else floor
        if share < expected:
            context = f"recent median {usual:.0%}" if usual is not None else f"floor {floor:.0%}"
            alarms.append(Alarm(
                f"coverage/{name}", round(share, 4), round(expected, 4),
                f"{name} in {run.coverage.get(name, 0)} of {run.pages} article pages ({share:.0%}), "
                f"expected at least {expected:.0%} ({context})"))
    return alarms


def _rejected(run, limits) -> list[Alarm]:
    share = run.rejected_share
    if share is None or run.stored + run.rejected < limits.min_count or share <= limits.rejected_max_share:
        return []
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(run.rejected_reasons.items(), key=lambda x: -x[1]))
    return [Alarm("rejected", round(share, 4), limits.rejected_max_share,
                  f"{run.rejected} of {run.stored + run.rejected} article pages rejected ({share:.0%}, "
                  f"at most {limits.rejected_max_share:.0%}): {reasons}")]


def _http_errors(run, limits) -> list[Alarm]:
    share = run.http_failure_share
    if share is None or run.requests < limits.min_count or share <= limits.http_errors_max_share:
        return []
    detail = ", ".join(f"{kind} {n}" for kind, n in sorted(run.http_failures.items(), key=lambda x: -x[1]))
    return [Alarm("http_errors", round(share, 4), limits.http_errors_max_share,
                  f"{sum(run.http_failures.values())} of {run.requests} requests failed ({share:.0%}, "
                  f"at most {limits.http_errors_max_share:.0%}): {detail}")]


def _entry_points(run, recent, declared) -> list[Alarm]:
    """A feed or sitemap the outlet declares, or one that answered in a recent
    run, that did not answer now; and feeds or sitemaps that answered with
    something unreadable."""
    known = set(declared).union(*(r.entry_points_answered for r in recent))
    alarms = [Alarm("entry_point", None, None, f"{url} stopped answering ({what})")
              for url, what in sorted(run.entry_points_failed.items()) if url in known]
    for kind, count in sorted(run.discovery_errors.items()):
        alarms.append(Alarm("entry_point", count, 0, f"{count} {kind}s answered but could not be read"))
    return alarms
