"""`scrapy runspider <file>`: Scrapy's command, with the project's database
check and exit status (crawler/commands/__init__.py)."""
from __future__ import annotations

from scrapy.commands.runspider import Command as ScrapyRunSpiderCommand

from crawler.commands import CRAWL_COMMAND_SETTINGS, StoringCommand


class Command(StoringCommand, ScrapyRunSpiderCommand):
    default_settings = {**ScrapyRunSpiderCommand.default_settings, **CRAWL_COMMAND_SETTINGS}

    def long_desc(self) -> str:
        return (
            "Run the spider defined in the given file, into the database of DATABASE_URL. "
            "Exit status 2 if the database cannot be used (checked first), 1 if the spider "
            "did not start or pages were not stored (left in the spool for the next run), 3 if "
            "the run raised alarms."
        )
