"""The back-office: structure staff confirm accompaniments; Métropole admins see the funding.

accounts.py (logins, argon2id passwords, lock-out), throttle.py (login attempts by address),
sessions.py (cookie sessions, CSRF tokens), places.py (what the pages show of a place),
blueprint.py (the pages, a Sanic blueprint mounted by bot/web/app.py) with login_pages.py,
structure_pages.py, admin_pages.py and what they share, pages.py. `npt accounts` is
bot/cli/accounts.py.
"""
