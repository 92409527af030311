"""The normalizer that fills the parsed dates (parsing itself: crawler.datetimes)."""
from __future__ import annotations

from datetime import datetime

from crawler.datetimes import as_utc, read_date, zone_named
from crawler.items import ArticleItem
from crawler.outlets import by_slug
from pipelines.base import Normalizer


def _same_day_date_only(first: datetime, second: datetime) -> bool:
    """Same day, one of them without a time: their order is unknown."""
    return first.date() == second.date() and datetime.min.time() in (first.time(), second.time())


class DatesNormalizer(Normalizer):
    """Fills `published_at`, `modified_at`, `captured_at` from their raw
    strings; values already set (the HTML path decides its dates itself) are
    made aware UTC. A local time without a written offset is read in the
    outlet's time zone (`Outlet.timezone`); with no known zone only its day
    is kept and `published_timezone_unknown` (or `modified_...`) is noted. A
    modification before the publication is dropped and noted."""

    FIELDS = (("published_raw", "published_at"), ("modified_raw", "modified_at"),
              ("captured_raw", "captured_at"))

    def normalize(self, item: ArticleItem) -> ArticleItem:
        item.fetched_at = as_utc(item.fetched_at)
        outlet = by_slug(item.outlet)
        zone = zone_named(outlet.timezone) if outlet else None
        for raw_name, parsed_name in self.FIELDS:
            value = getattr(item, parsed_name)
            raw = getattr(item, raw_name)
            if value is None and raw and raw.strip():
                reading = read_date(raw, relative_base=item.fetched_at)
                if reading is None:
                    self.warn(item, "unparsed_date")
                else:
                    value = reading.to_utc(zone)
                    if reading.has_time and not reading.zone_known and zone is None:
                        self.warn(item, f"{parsed_name.removesuffix('_at')}_timezone_unknown")
            setattr(item, parsed_name, as_utc(value))
        published, modified = item.published_at, item.modified_at
        if published and modified and modified < published and not _same_day_date_only(published, modified):
            item.modified_at = None
            self.warn(item, "modified_before_published")
        return item
