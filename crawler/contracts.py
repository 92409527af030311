"""Spider contracts (`scrapy check`) of the project.

`@scrapes FIELD ...` replaces Scrapy's contract of that name, which only asks
that each item has the fields as keys (every field of a dataclass item always
is one): here each article must have a value for each field once the
normalizer chain has run on it, as it would be stored (`published_at` is the
dates normalizer's reading of the page's date). A rejected page fails it."""
from __future__ import annotations

import copy

from itemadapter import ItemAdapter
from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail

from crawler.alarms.measures import has_value
from crawler.items import ArticleItem, RejectedPage
from pipelines.base import RejectItem, build_normalizers, run_normalizers


class StoredFieldsContract(Contract):
    """@scrapes title body published_at"""

    name = "scrapes"

    def __init__(self, method, *args):
        super().__init__(method, *args)
        self.spider = method.__self__

    def post_process(self, output):
        normalizers = build_normalizers(self.spider.settings)
        for item in output:
            if isinstance(item, RejectedPage):
                raise ContractFail(f"Rejected {item.url} ({item.reason}): {item.detail}")
            if not isinstance(item, ArticleItem):
                continue
            try:
                stored = run_normalizers(normalizers, copy.deepcopy(item))
            except RejectItem as rejection:
                raise ContractFail(f"Rejected {item.url} by the normalizers: {rejection}") from None
            adapter = ItemAdapter(stored)
            missing = [name for name in self.args if not has_value(adapter.get(name))]
            if missing:
                raise ContractFail(f"No value for: {', '.join(missing)}")
