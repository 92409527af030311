"""Arabic news crawler: Scrapy project (settings, items, spiders, commands)."""
