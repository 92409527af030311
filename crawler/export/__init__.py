"""Getting the articles out: Scrapy feed exports of a crawl (`feeds`), and
exports of the database to JSON Lines, CSV and Parquet (`scrapy export`):
the columns (`columns`), the rows chosen and streamed from the database
(`source`), and the file formats (`writers`, `exporter`)."""
