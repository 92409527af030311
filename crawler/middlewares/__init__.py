"""Downloader middlewares and extensions of the crawl."""
