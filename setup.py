# scrapyd-deploy builds the project's egg with `python setup.py bdist_egg`;
# everything else (packages, package data, the scrapy entry point) is in pyproject.toml.
from setuptools import setup

setup()
