"""Alembic environment.

`db.session.prepare_database()` runs the migrations on its own connection
(passed in `config.attributes["connection"]`). From the command line:
`alembic -c db/alembic.ini upgrade head` or, for a new revision,
`alembic -c db/alembic.ini revision --autogenerate -m "..."`; the database is
`DATABASE_URL` as for a crawl.
"""
from logging.config import fileConfig

from alembic import context

from db.models import Base, is_mapped
from db.session import database_url, make_engine

config = context.config
target_metadata = Base.metadata


def configure(**options) -> None:
    context.configure(
        target_metadata=target_metadata,
        # SQLite alters tables by copying them: let revisions use batch operations.
        render_as_batch=True,
        compare_type=True,
        # The search index is not mapped (db.models.is_mapped).
        include_name=is_mapped,
        **options,
    )


def run_migrations_offline() -> None:
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(database_url())
    try:
        with engine.begin() as connection:
            configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
