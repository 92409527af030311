"""`scrapy parse [--spider OUTLET] URL`: Scrapy's command. An outlet spider's
default callback reads an article URL as an article (crawler/spiders/outlets.py);
the items are printed without the raw page bytes they carry for storage."""
from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.commands.parse import Command as ScrapyParseCommand
from scrapy.utils import display


def printable(item) -> dict:
    fields = ItemAdapter(item).asdict()
    if isinstance(fields.get("raw"), bytes):
        fields["raw"] = f"<{len(fields['raw'])} bytes>"
    return fields


class Command(ScrapyParseCommand):
    def print_items(self, lvl: int | None = None, colour: bool = True) -> None:
        items = [item for level in self.items.values() for item in level] if lvl is None else self.items.get(lvl, [])
        print("# Scraped Items ", "-" * 60)
        display.pprint([printable(item) for item in items], colorize=colour)
