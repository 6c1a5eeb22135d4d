"""The back-office pages, a Sanic blueprint under /backoffice (mounted by bot/web/app.py).

Every page needs a login; structure staff see only their own place (anything else is 403, or
404 for a booking or referral of another place, which they must not learn exists); admin pages
are for admins. Every POST carries the session's CSRF token (403 otherwise) and, when the
browser says where it comes from (Origin), must come from this site. Database work runs in a
thread, never on the event loop.

The routes, by audience: login_pages.py (signing in and out), structure_pages.py (a
structure's staff), admin_pages.py and organisation_pages.py (the Métropole's admins: funding,
partners, persons, audit; the prescripteur organisations and their codes), funnel_pages.py
(the programme's funnel), webinar_pages.py (the webinars' organisers); what they share:
pages.py.
"""
from __future__ import annotations

from sanic import Blueprint

from bot.web.backoffice.admin_pages import add_admin_routes
from bot.web.backoffice.funnel_pages import add_funnel_routes
from bot.web.backoffice.login_pages import add_login_routes
from bot.web.backoffice.organisation_pages import add_organisation_routes
from bot.web.backoffice.pages import PREFIX
from bot.web.backoffice.structure_pages import add_structure_routes
from bot.web.backoffice.webinar_pages import add_webinar_routes


def backoffice_blueprint() -> Blueprint:
    bp = Blueprint("backoffice", url_prefix=PREFIX)
    add_login_routes(bp)
    add_structure_routes(bp)
    add_admin_routes(bp)
    add_organisation_routes(bp)
    add_funnel_routes(bp)
    add_webinar_routes(bp)
    return bp
