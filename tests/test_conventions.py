"""Scrapy's habits on this project: `-s` over the environment, commands that
only look (parse, shell, check) record no run, `scrapy parse` reads an
article, and every outlet spider's contracts pass on its fixture site."""
from __future__ import annotations

import pytest
from scrapy.settings import Settings
from sqlalchemy import create_engine, inspect

from crawler.outlets import all_outlets, by_slug
from db.session import database_url, project_root
from tests.crawl_runner import fixture_settings, run_scrapy, window_start
from tests.replay_runner import REPO
from tests.sites.changed import serve_changed_template
from tests.sites.server import FixtureServer
from tests.test_crawl_fixture_sites import db_rows


@pytest.fixture(scope="module")
def server():
    with FixtureServer(slow_delay=0.2) as fixture_server:
        yield fixture_server


def table_rows(db_url: str, table: str) -> list[dict]:
    """The rows of a table, none if the database or table does not exist."""
    engine = create_engine(db_url)
    try:
        if not inspect(engine).has_table(table):
            return []
    finally:
        engine.dispose()
    return db_rows(db_url, table)


def test_the_database_url_setting_beats_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/from-the-environment.db")
    assert database_url(Settings({"DATABASE_URL": "postgres://u@h/db"})) == "postgresql+psycopg://u@h/db"
    assert database_url(Settings()) == "sqlite:////tmp/from-the-environment.db"


def test_default_paths_are_the_project_s_from_any_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert database_url(Settings()) == f"sqlite:///{REPO / 'data' / 'news.db'}"
    assert project_root() == REPO


def test_a_crawl_with_dash_s_database_url_writes_there_not_to_the_environment_s(server, tmp_path):
    environment_db, setting_db = tmp_path / "environment.db", tmp_path / "setting.db"
    server.reset()
    # The default log of a crawl: no LOG_LEVEL given.
    settings = fixture_settings(server, tmp_path)
    settings = [arg for pair in zip(settings[::2], settings[1::2]) if not pair[1].startswith("LOG_LEVEL=")
                for arg in pair]
    result = run_scrapy(f"sqlite:///{environment_db}", "crawl", "aawsat", "-a", f"since={window_start('aawsat.com')}",
                        *settings, "-s", f"DATABASE_URL=sqlite:///{setting_db}")
    assert result.returncode == 0, result.stderr[-3000:]
    # Warnings only (the 500 before a retry is none), then the summary table.
    assert " INFO: " not in result.stderr and " DEBUG: " not in result.stderr, result.stderr[-3000:]
    assert [line.split()[:2] for line in result.stdout.splitlines() if line.startswith(("aawsat", "total"))] == \
        [["aawsat", "4"], ["total", "4"]]
    assert not environment_db.exists()
    assert len(db_rows(f"sqlite:///{setting_db}")) == 4
    assert len(db_rows(f"sqlite:///{setting_db}", "crawl_runs")) == 1


def test_scrapy_parse_prints_the_article_and_records_no_run(server, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    url = by_slug("aawsat").sample_article
    result = run_scrapy(db_url, "parse", "--spider", "aawsat", *fixture_settings(server, tmp_path), url)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'title': 'أوكرانيا: صاروخ روسي أصاب سفينة مدنية في ميناء أوديسا وأوقع قتيلاً'" in result.stdout
    assert "'published_at': datetime.datetime(2024, 11, 19, 17, 5" in result.stdout
    assert "'raw': '<14571 bytes>'" in result.stdout  # not the page's bytes
    # Without --spider, Scrapy picks the spider whose allowed_domains hold the URL's.
    shell = run_scrapy(db_url, "shell", *fixture_settings(server, tmp_path), "-c", "spider.name", url)
    assert shell.returncode == 0 and shell.stdout.strip() == "aawsat", shell.stderr[-3000:]
    for table in ("crawl_runs", "alerts", "articles"):
        assert table_rows(db_url, table) == [], table


def test_scrapy_check_runs_the_contracts_of_every_outlet_spider(server, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    server.reset()
    result = run_scrapy(db_url, "check", "-v", *fixture_settings(server, tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    # @returns and @scrapes of each outlet spider (@url makes the request).
    for outlet in all_outlets():
        for contract in ("returns", "scrapes"):
            assert f"[{outlet.slug}] parse_article (@{contract} post-hook) ... ok" in result.stderr
    assert f"Ran {2 * len(all_outlets())} contracts" in result.stderr and "\nOK" in result.stderr
    assert table_rows(db_url, "crawl_runs") == [] and table_rows(db_url, "alerts") == []


def test_scrapy_check_fails_where_the_template_lost_its_date(server, tmp_path):
    server.reset()
    serve_changed_template(server, "aawsat.com")
    result = run_scrapy(f"sqlite:///{tmp_path / 'news.db'}", "check", "aawsat", *fixture_settings(server, tmp_path))
    server.reset()
    assert result.returncode == 1
    assert "ContractFail: No value for: published_at" in result.stderr
    assert "Ran 2 contracts" in result.stderr and "FAILED (failures=1)" in result.stderr
