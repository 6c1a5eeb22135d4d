"""Reading the running assistant's SQLite databases (ours and Rasa's tracker) as they are."""
from __future__ import annotations

import sqlite3


def rows(url: str, sql: str, *params):
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute(sql, params).fetchall()
