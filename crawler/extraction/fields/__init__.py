"""Field extractors: each reads a `ParsedPage` and gives one field (or a few
that belong together) of the article. See crawler/extraction/html.py."""
