"""Normalization plugins and the item pipelines that run and store them."""
