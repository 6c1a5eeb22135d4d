"""What every back-office page shares: the templates and their filters, rendering, redirects,
cookies, form fields, and the guard of every page (`login_required`: the session, the admin
role, the place, the CSRF token and the Origin of a POST)."""
from __future__ import annotations

import asyncio
import logging
import os
from datetime import date, datetime
from functools import partial, wraps
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clock import from_db, now_paris, say_date, say_slot
from bot.funding.actors import Actor
from bot.funding.report import format_eur
from bot.web.backoffice.accounts import ROLE_LABELS
from bot.web.backoffice.sessions import ActiveSession, session_of

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PREFIX = "/backoffice"
SESSION_COOKIE = "npt_session"
LOGIN_CSRF_COOKIE = "npt_login_csrf"
MAX_FORM_FIELD = 2000
MAX_ID = 2**31 - 1

# Messages shown after an action (?msg=code); only these fixed texts are ever shown.
MESSAGES = {
    "accompanied": "La personne est notée accompagnée.",
    "absent": "La personne est notée absente.",
    "unchanged": "C'était déjà noté ainsi : rien n'a changé.",
    "cancelled": "Le rendez-vous est annulé. La personne va être prévenue.",
    "closure_added": "La fermeture est enregistrée.",
    "agenda_saved": "L'agenda est enregistré. Les nouveaux horaires valent pour les prochains "
                    "rendez-vous ; ceux déjà pris restent valables.",
    "closure_removed": "La fermeture est supprimée.",
    "merged": "Les deux personnes sont fusionnées. Le décompte est recalculé.",
    "validated": "Le bilan de l'année est validé. Toute correction apparaîtra comme un ajustement.",
    "logged_out": "Vous êtes déconnecté(e).",
    "code_revoked": "Le code est révoqué : il n'ouvre plus le mode prescripteur.",
    "webinar_created": "La session est créée. Elle est proposée dans le chat dès maintenant.",
    "webinar_changed": "La session est modifiée.",
    "webinar_changed_told": "La session est modifiée. Chaque inscrit(e) va être prévenu(e), "
                            "avec l'invitation mise à jour.",
    "attendance_saved": "Les présences sont enregistrées.",
}

_env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                   autoescape=select_autoescape(["html", "svg"]), trim_blocks=True,
                   lstrip_blocks=True)


def _format_day(value) -> str:
    return say_date(value) if isinstance(value, date) else ""


def _format_slot(value) -> str:
    return say_slot(value) if isinstance(value, datetime) else ""


def _format_moment(value) -> str:
    """A naive UTC time of the database, said in Paris time: "23/11/2026 14:05"."""
    if not isinstance(value, datetime):
        return ""
    moment = from_db(value) if value.tzinfo is None else value.astimezone(now_paris().tzinfo)
    return f"{moment:%d/%m/%Y %H:%M}"


def _format_eur(cents) -> str:
    return format_eur(int(cents or 0))


_env.filters.update(day=_format_day, slot=_format_slot, moment=_format_moment, eur=_format_eur,
                    percent=lambda fraction: f"{(fraction or 0) * 100:.1f} %".replace(".", ","))


def _secure_cookies() -> bool:
    return os.environ.get("NPT_PUBLIC_URL", "").strip().lower().startswith("https://")


async def run(function, *args, **kwargs):
    """Run a blocking call (the database) in a thread."""
    return await asyncio.to_thread(partial(function, *args, **kwargs))


def render(template: str, *, status: int = 200, **context) -> HTTPResponse:
    html = _env.get_template(template).render(prefix=PREFIX, role_labels=ROLE_LABELS, **context)
    # "same-origin": the browser then sends our Origin with the forms' POSTs (checked), where
    # the site-wide "no-referrer" would make it send "Origin: null".
    return response.html(html, status=status, headers={"Cache-Control": "no-store",
                                                       "Referrer-Policy": "same-origin"})


def redirect(path: str, **query) -> HTTPResponse:
    target = PREFIX + path + (("?" + urlencode(query)) if query else "")
    return response.redirect(target, status=303, headers={"Cache-Control": "no-store"})


def set_cookie(resp: HTTPResponse, name: str, value: str, *, path: str = PREFIX) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = path
    if _secure_cookies():
        cookie["secure"] = True


def clear_cookie(resp: HTTPResponse, name: str) -> None:
    set_cookie(resp, name, "")
    resp.cookies[name]["max-age"] = 0


def same_origin(request: Request) -> bool:
    """A POST whose Origin (or Referer) names another site is refused."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    return urlsplit(origin).netloc.lower() == (request.host or "").lower()


def form_field(request: Request, name: str) -> str:
    value = request.form.get(name) if request.form else None
    return (value or "").strip()[:MAX_FORM_FIELD]


def forbidden(message: str = "Vous n'avez pas accès à cette page.") -> HTTPResponse:
    return render("error.html", status=403, title="Accès refusé", reason=message, me=None)


def not_found() -> HTTPResponse:
    return render("error.html", status=404, title="Introuvable",
                  reason="Cette page n'existe pas, ou plus.", me=None)


def shown_message(request: Request) -> str | None:
    """The fixed text of ?msg=code, if any."""
    return MESSAGES.get(request.args.get("msg", ""))


def actor_of(active: ActiveSession) -> Actor:
    """Who does a funding action: the logged-in account."""
    account = active.account
    return Actor(name=account.email, role=account.role, place_pk=account.place_pk)


def login_required(admin: bool = False):
    """The page needs a session (and the admin role); POSTs need the CSRF token too; a route
    with a `place_pk` is for that place's staff (or an admin) only."""
    def decorator(handler):
        @wraps(handler)
        async def wrapped(request: Request, *args, **kwargs):
            if any(isinstance(value, int) and not 0 < value <= MAX_ID for value in kwargs.values()):
                return not_found()  # no such number in any table
            token = request.cookies.get(SESSION_COOKIE)
            active = await run(session_of, token) if token else None
            if active is None:
                if request.method == "GET":
                    return redirect("/login", next=request.path)
                return forbidden("Votre session a expiré. Reconnectez-vous.")
            if admin and not active.account.is_admin:
                return forbidden()
            if request.method == "POST":
                if not same_origin(request) or not active.csrf_ok(form_field(request, "csrf_token")):
                    log.warning("back-office: CSRF check failed for account %s on %s",
                                active.account.id, request.path)
                    return forbidden("La demande n'a pas pu être vérifiée. Rechargez la page "
                                     "et recommencez.")
            # A page or action of one place (/places/<place_pk>/...): its staff or an admin.
            place_pk = kwargs.get("place_pk")
            if place_pk is not None and not active.account.may_see_place(place_pk):
                return forbidden()
            request.ctx.session = active
            return await handler(request, active, *args, **kwargs)
        return wrapped
    return decorator
