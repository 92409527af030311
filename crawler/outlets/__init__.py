"""Registry of the outlet descriptions defined in this package."""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from urllib.parse import urlsplit

from crawler.outlets.base import Outlet

__all__ = ["Outlet", "all_outlets", "by_slug", "by_url", "by_source_name"]


@lru_cache(maxsize=None)
def all_outlets() -> tuple[Outlet, ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        outlet = getattr(module, "OUTLET", None)
        if isinstance(outlet, Outlet):
            found.append(outlet)
    return tuple(sorted(found, key=lambda o: o.slug))


def by_slug(slug: str | None) -> Outlet | None:
    return next((o for o in all_outlets() if o.slug == slug), None)


def by_url(url: str | None) -> Outlet | None:
    host = urlsplit(url or "").hostname or ""
    return next((o for o in all_outlets() if o.matches_domain(host)), None)


def by_source_name(text: str | None) -> Outlet | None:
    """The outlet a source line or brand mark names, if any."""
    from pipelines.arabic import fold_for_search

    folded = fold_for_search(text or "")
    if not folded:
        return None
    return next((outlet for outlet, names in _folded_names() if any(name in folded for name in names)), None)


@lru_cache(maxsize=None)
def _folded_names() -> tuple[tuple[Outlet, tuple[str, ...]], ...]:
    """Each outlet with its names in search form, folded once."""
    from pipelines.arabic import fold_for_search

    return tuple((outlet, tuple(fold_for_search(n) for n in outlet.source_names + (outlet.name_ar,) + outlet.domains))
                 for outlet in all_outlets())
