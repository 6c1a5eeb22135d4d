"""The assistant's own database: models, sessions, migrations."""
from bot.db.session import get_engine, session_scope, upgrade

__all__ = ["get_engine", "session_scope", "upgrade"]
