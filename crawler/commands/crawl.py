"""`scrapy crawl <spider>`: Scrapy's command, with the project's database check
and exit status (crawler/commands/__init__.py)."""
from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from crawler.commands import StoringCommand


class Command(StoringCommand, ScrapyCrawlCommand):
    def long_desc(self) -> str:
        return (
            "Run a spider of the project into the database of DATABASE_URL. Exit status 2 "
            "if the database cannot be used (checked first), 1 if the spider did not start "
            "or pages were not stored (left in the spool for the next run), 3 if the run "
            "raised alarms (crawler/alarms: an alerts row, a WARNING line each). Ends with "
            "the summary table of `scrapy replay`; the log shows warnings only unless -L INFO."
        )
