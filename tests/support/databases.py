"""Reading the running assistant's databases (ours and Rasa's tracker) as they are: SQLite files
(the embedded default) or PostgreSQL (the production mode). Parameters are written `?`."""
from __future__ import annotations

import sqlite3


def rows(url: str, sql: str, *params):
    if url.startswith("postgresql"):
        import psycopg2
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        connection = psycopg2.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                                      dbname=parsed.database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return cursor.fetchall()
        finally:
            connection.close()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute(sql, params).fetchall()
