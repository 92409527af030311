"""Stories across outlets: the articles that report one event share a
`stories` row, assigned as they are stored (assign.py), from what features.py
computes of each; listing.py reads the stories back for `scrapy stories`."""
