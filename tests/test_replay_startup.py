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
