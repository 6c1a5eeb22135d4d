"""The back-office: structure staff confirm accompaniments; Métropole admins see the funding.

accounts.py (logins, argon2id passwords, lock-out), sessions.py (cookie sessions, CSRF tokens),
views.py (the pages, a Sanic blueprint mounted by bot/web/app.py), commands.py (`npt accounts`).
"""
