"""Storage: the SQLAlchemy models, their Alembic migrations and the article store."""
