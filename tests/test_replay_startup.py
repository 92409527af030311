"""Start-up of the commands: the schema check that skips Alembic when the
database is at the head revision already."""
from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text

from db.session import alembic_config, head_revisions, make_engine, prepare_database, schema_is_current


def test_the_heads_read_from_the_scripts_are_alembics():
    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_a_current_database_is_not_migrated_again_and_an_older_one_is(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'news.db'}")
    with engine.connect() as connection:
        assert not schema_is_current(connection)  # no alembic_version table yet
    prepare_database(engine)
    with engine.connect() as connection:
        assert schema_is_current(connection)
    # An older revision recorded: not current, so Alembic decides what to run.
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with engine.connect() as connection:
        assert not schema_is_current(connection)
    engine.dispose()


HEAVY_MODULES = ("alembic", "aiohttp", "scipy", "datasketch", "wordfreq", "twisted.conch", "dateparser")


def test_a_replay_into_a_current_database_imports_no_heavy_module_it_does_not_use(tmp_path):
    """What a one-file replay costs is mostly imports: Alembic when the schema
    is current, the extensions switched off, and the stories' word list once
    it is in the cache are not among them."""
    import os
    import subprocess
    import sys

    from tests.replay_runner import REPO

    probe = (
        "import atexit, sys\n"
        f"heavy = {HEAVY_MODULES!r}\n"
        "atexit.register(lambda: print('IMPORTED', sorted({m for m in sys.modules for h in heavy"
        " if m == h or m.startswith(h + '.')}), file=sys.stderr))\n"
        "sys.argv = ['scrapy', 'replay', 'seeds/000_d63afe6809be283e.txt', '-j', '1', '--force']\n"
        "from scrapy.cmdline import execute\nexecute()\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'news.db'}", "XDG_CACHE_HOME": str(tmp_path)}

    def imported() -> set[str]:
        result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        line = next(line for line in result.stderr.splitlines() if line.startswith("IMPORTED"))
        return {name.split(".")[0] for name in eval(line.removeprefix("IMPORTED "))}

    first = imported()  # a fresh database (every migration) and no word list cached yet
    assert {"alembic", "wordfreq"} <= first
    assert imported() == set()
