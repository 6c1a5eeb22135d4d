"""The back-office pages, a Sanic blueprint under /backoffice (mounted by bot/web/app.py).

Every page needs a login; structure staff see only their own place (anything else is 403, or
404 for a booking or referral of another place, which they must not learn exists); admin pages
are for admins. Every POST carries the session's CSRF token (403 otherwise) and, when the
browser says where it comes from (Origin), must come from this site. Database work runs in a
thread, never on the event loop.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
from datetime import date, datetime
from functools import partial, wraps
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clock import now_paris, say_slot
from bot.web.backoffice.accounts import ROLE_LABELS, authenticate, login_gate
from bot.web.backoffice.throttle import WINDOW_MINUTES, client_address
from bot.web.backoffice.sessions import ActiveSession, close_session, open_session, session_of

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PREFIX = "/backoffice"
SESSION_COOKIE = "npt_session"
LOGIN_CSRF_COOKIE = "npt_login_csrf"
MAX_FORM_FIELD = 2000

# The one answer to every refused login (wrong e-mail or password, disabled account, too many
# attempts from this address): it must not tell which.
LOGIN_REFUSED = ("Adresse e-mail ou mot de passe incorrect. Après plusieurs erreurs, les essais "
                 f"depuis votre connexion sont refusés pendant {WINDOW_MINUTES} minutes.")

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
}

_env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                   autoescape=select_autoescape(["html", "svg"]), trim_blocks=True,
                   lstrip_blocks=True)


def _format_day(value) -> str:
    from bot.clock import say_date

    return say_date(value) if isinstance(value, date) else ""


def _format_slot(value) -> str:
    return say_slot(value) if isinstance(value, datetime) else ""


def _format_moment(value) -> str:
    """A naive UTC time of the database, said in Paris time: "23/11/2026 14:05"."""
    from bot.clock import from_db

    if not isinstance(value, datetime):
        return ""
    moment = from_db(value) if value.tzinfo is None else value.astimezone(now_paris().tzinfo)
    return f"{moment:%d/%m/%Y %H:%M}"


def _format_eur(cents) -> str:
    from bot.funding.report import format_eur

    return format_eur(int(cents or 0))


_env.filters.update(day=_format_day, slot=_format_slot, moment=_format_moment, eur=_format_eur,
                    percent=lambda fraction: f"{(fraction or 0) * 100:.1f} %".replace(".", ","))


def _secure_cookies() -> bool:
    return os.environ.get("NPT_PUBLIC_URL", "").strip().lower().startswith("https://")


async def _run(function, *args, **kwargs):
    """Run a blocking call (the database) in a thread."""
    return await asyncio.to_thread(partial(function, *args, **kwargs))


def _render(template: str, *, status: int = 200, **context) -> HTTPResponse:
    html = _env.get_template(template).render(prefix=PREFIX, role_labels=ROLE_LABELS, **context)
    # "same-origin": the browser then sends our Origin with the forms' POSTs (checked), where
    # the site-wide "no-referrer" would make it send "Origin: null".
    return response.html(html, status=status, headers={"Cache-Control": "no-store",
                                                       "Referrer-Policy": "same-origin"})


def _redirect(path: str, **query) -> HTTPResponse:
    target = PREFIX + path + (("?" + urlencode(query)) if query else "")
    return response.redirect(target, status=303, headers={"Cache-Control": "no-store"})


def _set_cookie(resp: HTTPResponse, name: str, value: str, *, path: str = PREFIX) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = path
    if _secure_cookies():
        cookie["secure"] = True


def _clear_cookie(resp: HTTPResponse, name: str) -> None:
    _set_cookie(resp, name, "")
    resp.cookies[name]["max-age"] = 0


def _same_origin(request: Request) -> bool:
    """A POST whose Origin (or Referer) names another site is refused."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    return urlsplit(origin).netloc.lower() == (request.host or "").lower()


def _field(request: Request, name: str) -> str:
    value = request.form.get(name) if request.form else None
    return (value or "").strip()[:MAX_FORM_FIELD]


def _forbidden(message: str = "Vous n'avez pas accès à cette page.") -> HTTPResponse:
    return _render("error.html", status=403, title="Accès refusé", reason=message, me=None)


def _not_found() -> HTTPResponse:
    return _render("error.html", status=404, title="Introuvable",
                   reason="Cette page n'existe pas, ou plus.", me=None)


_LOGIN_SLOTS: asyncio.Semaphore | None = None
MAX_ID = 2**31 - 1


def _login_slots() -> asyncio.Semaphore:
    """At most 2 password checks at once (argon2 is slow by design): a flood of logins cannot
    take every thread the other pages need."""
    global _LOGIN_SLOTS
    if _LOGIN_SLOTS is None:
        _LOGIN_SLOTS = asyncio.Semaphore(2)
    return _LOGIN_SLOTS


def login_required(admin: bool = False):
    """The page needs a session (and the admin role); POSTs need the CSRF token too; a route
    with a `place_pk` is for that place's staff (or an admin) only."""
    def decorator(handler):
        @wraps(handler)
        async def wrapped(request: Request, *args, **kwargs):
            if any(isinstance(value, int) and not 0 < value <= MAX_ID for value in kwargs.values()):
                return _not_found()  # no such number in any table
            token = request.cookies.get(SESSION_COOKIE)
            active = await _run(session_of, token) if token else None
            if active is None:
                if request.method == "GET":
                    return _redirect("/login", next=request.path)
                return _forbidden("Votre session a expiré. Reconnectez-vous.")
            if admin and not active.account.is_admin:
                return _forbidden()
            if request.method == "POST":
                if not _same_origin(request) or not active.csrf_ok(_field(request, "csrf_token")):
                    log.warning("back-office: CSRF check failed for account %s on %s",
                                active.account.id, request.path)
                    return _forbidden("La demande n'a pas pu être vérifiée. Rechargez la page "
                                      "et recommencez.")
            # A page or action of one place (/places/<place_pk>/...): its staff or an admin.
            place_pk = kwargs.get("place_pk")
            if place_pk is not None and not active.account.may_see_place(place_pk):
                return _forbidden()
            request.ctx.session = active
            return await handler(request, active, *args, **kwargs)
        return wrapped
    return decorator


def _actor(active: ActiveSession):
    from bot.funding import Actor

    account = active.account
    return Actor(name=account.email, role=account.role, place_pk=account.place_pk)


def _message(request: Request) -> str | None:
    return MESSAGES.get(request.args.get("msg", ""))


def _year(request: Request, default: int) -> int:
    try:
        year = int(request.args.get("year", default))
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


def backoffice_blueprint() -> Blueprint:
    bp = Blueprint("backoffice", url_prefix=PREFIX)

    # -- login ---------------------------------------------------------------------------------

    @bp.get("/")
    async def home(request: Request) -> HTTPResponse:
        token = request.cookies.get(SESSION_COOKIE)
        active = await _run(session_of, token) if token else None
        if active is None:
            return _redirect("/login")
        return _redirect("/admin" if active.account.is_admin else "/structure")

    @bp.get("/login")
    async def login_page(request: Request) -> HTTPResponse:
        csrf = secrets.token_urlsafe(24)
        resp = _render("login.html", csrf_token=csrf, error=None, email="", me=None,
                       message=_message(request), next=request.args.get("next", ""))
        _set_cookie(resp, LOGIN_CSRF_COOKIE, csrf)
        return resp

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        submitted = _field(request, "csrf_token")
        if not _same_origin(request) or not expected or not secrets.compare_digest(
                expected.encode(), submitted.encode()):
            return _forbidden("La demande n'a pas pu être vérifiée. Rechargez la page et "
                              "recommencez.")
        email, password = _field(request, "email"), (request.form.get("password") or "")
        source = client_address(request.ip, request.headers.getall("x-forwarded-for", []))
        # An e-mail being guessed from elsewhere makes every answer for it wait a little (here,
        # not in a thread nor while holding a password-check slot); an address that guessed
        # too often is refused without a check. The account itself is never locked.
        gate = await _run(login_gate, source, email)
        if gate.refused:
            account = None
        else:
            if gate.delay:
                await asyncio.sleep(gate.delay)
            async with _login_slots():
                account = (await _run(authenticate, email, password[:256],
                                      source=source)).account
        if account is None:
            csrf = secrets.token_urlsafe(24)
            resp = _render("login.html", status=401, csrf_token=csrf, error=LOGIN_REFUSED,
                           email=email[:254], me=None, message=None,
                           next=_field(request, "next"))
            _set_cookie(resp, LOGIN_CSRF_COOKIE, csrf)
            return resp
        await _run(close_session, request.cookies.get(SESSION_COOKIE))  # a new login, a new session
        token = await _run(open_session, account.id)
        wanted = _field(request, "next")
        # Only our own pages: no open redirect.
        if not (wanted.startswith(PREFIX + "/") and "//" not in wanted and "\\" not in wanted):
            wanted = PREFIX + ("/admin" if account.is_admin else "/structure")
        resp = response.redirect(wanted, status=303)
        _set_cookie(resp, SESSION_COOKIE, token)
        _clear_cookie(resp, LOGIN_CSRF_COOKIE)
        return resp

    @bp.post("/logout")
    @login_required()
    async def logout(request: Request, active: ActiveSession) -> HTTPResponse:
        await _run(close_session, request.cookies.get(SESSION_COOKIE))
        resp = _redirect("/login", msg="logged_out")
        _clear_cookie(resp, SESSION_COOKIE)
        return resp

    # -- a structure's page (its staff, or an admin) -------------------------------------------

    async def structure_page(request: Request, active: ActiveSession, place_pk: int) -> HTTPResponse:
        from bot.booking import upcoming_bookings
        from bot.funding import referrals_of_place, referrals_to_confirm
        from bot.web.backoffice.places import place_summary

        place = await _run(place_summary, place_pk)
        if place is None:
            return _not_found()
        to_confirm = await _run(referrals_to_confirm, place_pk)
        upcoming = await _run(upcoming_bookings, place_pk)
        recent = await _run(referrals_of_place, place_pk)
        return _render("structure.html", me=active.account, csrf_token=active.csrf_token,
                       place=place, to_confirm=to_confirm, upcoming=upcoming,
                       recent=[r for r in recent if r.status != "booked"][:50],
                       today=now_paris().date(), message=_message(request),
                       error=request.args.get("error"))

    @bp.get("/structure")
    @login_required()
    async def my_structure(request: Request, active: ActiveSession) -> HTTPResponse:
        if active.account.is_admin:
            return _redirect("/admin/partners")
        return await structure_page(request, active, active.account.place_pk)

    @bp.get("/places/<place_pk:int>")
    @login_required()
    async def place_page(request: Request, active: ActiveSession, place_pk: int) -> HTTPResponse:
        return await structure_page(request, active, place_pk)

    def _back(active: ActiveSession, place_pk: int) -> str:
        return f"/places/{place_pk}" if active.account.is_admin else "/structure"

    @bp.post("/referrals/<referral_id:int>/mark")
    @login_required()
    async def mark(request: Request, active: ActiveSession, referral_id: int) -> HTTPResponse:
        from bot.funding import mark_absent, mark_accompanied
        from bot.web.backoffice.places import referral_place
        from bot.funding.errors import FundingError

        place_pk = await _run(referral_place, referral_id)
        if place_pk is None or not active.account.may_see_place(place_pk):
            return _not_found()
        outcome = _field(request, "outcome")
        try:
            if outcome == "accompanied":
                try:
                    on = date.fromisoformat(_field(request, "accompanied_on"))
                except ValueError:
                    return _redirect(_back(active, place_pk), error="date")
                result = await _run(mark_accompanied, referral_id, on=on, actor=_actor(active))
            elif outcome == "absent":
                result = await _run(mark_absent, referral_id, actor=_actor(active))
            else:
                return _redirect(_back(active, place_pk), error="outcome")
        except FundingError as error:
            return _render("error.html", status=409, title="Impossible",
                           reason=error.message_fr, me=active.account,
                           csrf_token=active.csrf_token, back=PREFIX + _back(active, place_pk))
        return _redirect(_back(active, place_pk), msg=outcome if result.changed else "unchanged")

    @bp.post("/bookings/<booking_id:int>/cancel")
    @login_required()
    async def cancel(request: Request, active: ActiveSession, booking_id: int) -> HTTPResponse:
        from bot.booking import get_booking
        from bot.booking.errors import BookingError
        from bot.booking.staff import cancel_by_staff

        booking = await _run(get_booking, booking_id)
        if booking is None or not active.account.may_see_place(booking.place_pk):
            return _not_found()
        try:
            await _run(cancel_by_staff, booking_id, by=active.account.role,
                       actor=active.account.email)
        except BookingError as error:
            return _render("error.html", status=409, title="Impossible",
                           reason=getattr(error, "message_fr", None)
                           or "Ce rendez-vous ne peut plus être annulé (il a commencé).",
                           me=active.account, csrf_token=active.csrf_token,
                           back=PREFIX + _back(active, booking.place_pk))
        return _redirect(_back(active, booking.place_pk), msg="cancelled")

    # -- agenda and closures ---------------------------------------------------------------------

    async def agenda_page(request: Request, active: ActiveSession, place_pk: int, *,
                          status: int = 200, problems: list[str] | None = None,
                          typed: dict | None = None) -> HTTPResponse:
        from bot.web.backoffice.places import partner_summary

        partner = await _run(partner_summary, place_pk)
        if partner is None:
            return _not_found()
        return _render("agenda.html", status=status, me=active.account,
                       csrf_token=active.csrf_token, partner=partner, message=_message(request),
                       error=request.args.get("error"), today=now_paris().date(),
                       problems=problems or [], typed=typed or {})

    @bp.post("/places/<place_pk:int>/agendas/<agenda_id:int>")
    @login_required()
    async def edit_agenda(request: Request, active: ActiveSession, place_pk: int,
                          agenda_id: int) -> HTTPResponse:
        from bot.booking.agenda_edit import AgendaEditError, update_agenda

        typed = {"agenda_id": agenda_id, "hours": _field(request, "hours"),
                 "slot_minutes": _field(request, "slot_minutes"), "seats": _field(request, "seats")}
        try:
            await _run(update_agenda, place_pk, agenda_id, hours=typed["hours"],
                       slot_minutes=typed["slot_minutes"], seats=typed["seats"] or "1",
                       actor=active.account.email)
        except AgendaEditError as error:
            return await agenda_page(request, active, place_pk, status=400,
                                     problems=error.problems, typed=typed)
        return _redirect(f"/places/{place_pk}/agenda", msg="agenda_saved")

    @bp.get("/places/<place_pk:int>/agenda")
    @login_required()
    async def agenda(request: Request, active: ActiveSession, place_pk: int) -> HTTPResponse:
        return await agenda_page(request, active, place_pk)

    @bp.post("/places/<place_pk:int>/closures")
    @login_required()
    async def add_closure(request: Request, active: ActiveSession, place_pk: int) -> HTTPResponse:
        from bot.booking.partners.closures import add_closure as add
        from bot.booking.partners.errors import PartnersError

        back = f"/places/{place_pk}/agenda"
        try:
            start = date.fromisoformat(_field(request, "start"))
            end = date.fromisoformat(_field(request, "end") or _field(request, "start"))
        except ValueError:
            return _redirect(back, error="dates")
        reason = _field(request, "reason")[:500]
        if not reason:
            return _redirect(back, error="reason")
        if end < start:
            return _redirect(back, error="order")
        if start < now_paris().date():
            return _redirect(back, error="past")
        agenda_key = _field(request, "agenda") or None
        try:
            await _run(add, str(place_pk), start, end, f"{reason} ({active.account.email})",
                       agenda_key=agenda_key)
        except PartnersError:
            return _redirect(back, error="agenda")
        return _redirect(back, msg="closure_added")

    @bp.post("/places/<place_pk:int>/closures/<closure_id:int>/delete")
    @login_required()
    async def remove_closure(request: Request, active: ActiveSession, place_pk: int,
                             closure_id: int) -> HTTPResponse:
        from bot.web.backoffice.places import remove_operator_closure

        removed = await _run(remove_operator_closure, place_pk, closure_id)
        if not removed:
            return _not_found()
        return _redirect(f"/places/{place_pk}/agenda", msg="closure_removed")

    # -- the Métropole's pages ------------------------------------------------------------------

    @bp.get("/admin")
    @login_required(admin=True)
    async def dashboard(request: Request, active: ActiveSession) -> HTTPResponse:
        from bot.funding.chart import funding_chart_svg
        from bot.funding.report import funded_over_time, funding_report
        from bot.funding.rules import UnknownFundingYear, funding_rules

        years = list(funding_rules())
        this_year = now_paris().year
        year = _year(request, this_year if this_year in years else years[-1])
        by = request.args.get("by", "structure")
        if by not in ("structure", "commune", "ept", "organisation"):
            by = "structure"
        try:
            report = await _run(funding_report, year, by)
        except UnknownFundingYear:
            return _render("error.html", status=404, title="Année inconnue",
                           reason=f"Aucune règle de financement pour {year}.",
                           me=active.account, csrf_token=active.csrf_token,
                           back=PREFIX + "/admin")
        series = await _run(funded_over_time, year)
        chart = funding_chart_svg(series, report.cap, year)
        return _render("dashboard.html", me=active.account, csrf_token=active.csrf_token,
                       report=report, chart=chart, years=years, year=year, by=by,
                       message=_message(request))

    @bp.get("/admin/export.csv", name="export_csv")
    @login_required(admin=True)
    async def export_csv(request: Request, active: ActiveSession) -> HTTPResponse:
        return await export(request, active, "csv")

    @bp.get("/admin/export.xlsx", name="export_xlsx")
    @login_required(admin=True)
    async def export_xlsx(request: Request, active: ActiveSession) -> HTTPResponse:
        return await export(request, active, "xlsx")

    async def export(request: Request, active: ActiveSession, fmt: str) -> HTTPResponse:
        from bot.funding.export import report_csv, report_xlsx
        from bot.funding.report import funding_report
        from bot.funding.rules import UnknownFundingYear

        year = _year(request, now_paris().year)
        by = request.args.get("by", "structure")
        if by not in ("structure", "commune", "ept", "organisation"):
            return _not_found()
        try:
            report = await _run(funding_report, year, by)
        except UnknownFundingYear:
            return _not_found()
        name = f"financement-{year}-par-{by}.{fmt}"
        if fmt == "csv":
            body, mime = report_csv(report), "text/csv; charset=utf-8"
        else:
            body = await _run(report_xlsx, report)
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        log.info("funding export %s by %s", name, active.account.email)
        return response.raw(body, content_type=mime, headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store"})

    @bp.post("/admin/validate")
    @login_required(admin=True)
    async def validate(request: Request, active: ActiveSession) -> HTTPResponse:
        from bot.funding import validate_year
        from bot.funding.errors import FundingError

        try:
            year = int(_field(request, "year"))
            await _run(validate_year, year, actor=_actor(active))
        except ValueError:
            return _redirect("/admin")
        except FundingError as error:
            return _render("error.html", status=409, title="Impossible", reason=error.message_fr,
                           me=active.account, csrf_token=active.csrf_token,
                           back=PREFIX + "/admin")
        return _redirect("/admin", year=year, msg="validated")

    @bp.get("/admin/partners")
    @login_required(admin=True)
    async def partners(request: Request, active: ActiveSession) -> HTTPResponse:
        from bot.booking.partners.listing import list_partners

        found = await _run(list_partners)
        return _render("partners.html", me=active.account, csrf_token=active.csrf_token,
                       partners=found)

    @bp.get("/admin/persons")
    @login_required(admin=True)
    async def persons(request: Request, active: ActiveSession) -> HTTPResponse:
        return _render("merge.html", me=active.account, csrf_token=active.csrf_token,
                       message=_message(request), error=None, form={})

    @bp.post("/admin/persons/merge")
    @login_required(admin=True)
    async def merge(request: Request, active: ActiveSession) -> HTTPResponse:
        from bot.funding import merge_persons
        from bot.funding.errors import FundingError

        form = {name: _field(request, name) for name in ("from_key", "into_key", "reason")}
        try:
            if not all(form.values()):
                raise ValueError("Remplissez les trois champs.")
            await _run(merge_persons, form["from_key"], form["into_key"], actor=_actor(active),
                       reason=form["reason"])
        except ValueError as error:
            return _render("merge.html", status=400, me=active.account,
                           csrf_token=active.csrf_token, message=None, error=str(error), form=form)
        except FundingError as error:
            return _render("merge.html", status=409, me=active.account,
                           csrf_token=active.csrf_token, message=None, error=error.message_fr,
                           form=form)
        return _redirect("/admin/persons", msg="merged")

    @bp.get("/admin/audit")
    @login_required(admin=True)
    async def audit(request: Request, active: ActiveSession) -> HTTPResponse:
        from bot.funding import audit_events

        referral = request.args.get("referral", "")
        referral_id = (int(referral) if referral.isascii() and referral.isdigit()
                       and len(referral) < 10 else None)
        events = await _run(audit_events, referral_id=referral_id, limit=300)
        return _render("audit.html", me=active.account, csrf_token=active.csrf_token,
                       events=events, referral=referral_id)

    return bp
