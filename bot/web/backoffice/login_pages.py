"""Signing in and out of the back-office: the home redirect, the login form, the logout.

A refused login never tells why (wrong e-mail or password, disabled account, too many attempts
from this address); password checks are few at once (argon2 is slow by design).
"""
from __future__ import annotations

import asyncio
import secrets

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.web.backoffice.accounts import authenticate, login_gate
from bot.web.backoffice.pages import (LOGIN_CSRF_COOKIE, PREFIX, SESSION_COOKIE, clear_cookie,
                                      forbidden, form_field, login_required, redirect, render,
                                      run, same_origin, set_cookie, shown_message)
from bot.web.backoffice.sessions import ActiveSession, close_session, open_session, session_of
from bot.addresses import client_address
from bot.web.backoffice.throttle import WINDOW_MINUTES

# The one answer to every refused login (wrong e-mail or password, disabled account, too many
# attempts from this address): it must not tell which.
LOGIN_REFUSED = ("Adresse e-mail ou mot de passe incorrect. Après plusieurs erreurs, les essais "
                 f"depuis votre connexion sont refusés pendant {WINDOW_MINUTES} minutes.")

_LOGIN_SLOTS: asyncio.Semaphore | None = None


def _login_slots() -> asyncio.Semaphore:
    """At most 2 password checks at once (argon2 is slow by design): a flood of logins cannot
    take every thread the other pages need."""
    global _LOGIN_SLOTS
    if _LOGIN_SLOTS is None:
        _LOGIN_SLOTS = asyncio.Semaphore(2)
    return _LOGIN_SLOTS


def add_login_routes(bp: Blueprint) -> None:
    """/, /login (GET and POST) and /logout."""

    @bp.get("/")
    async def home(request: Request) -> HTTPResponse:
        token = request.cookies.get(SESSION_COOKIE)
        active = await run(session_of, token) if token else None
        if active is None:
            return redirect("/login")
        return redirect("/admin" if active.account.is_admin else "/structure")

    @bp.get("/login")
    async def login_page(request: Request) -> HTTPResponse:
        csrf = secrets.token_urlsafe(24)
        resp = render("login.html", csrf_token=csrf, error=None, email="", me=None,
                      message=shown_message(request), next=request.args.get("next", ""))
        set_cookie(resp, LOGIN_CSRF_COOKIE, csrf)
        return resp

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        submitted = form_field(request, "csrf_token")
        if not same_origin(request) or not expected or not secrets.compare_digest(
                expected.encode(), submitted.encode()):
            return forbidden("La demande n'a pas pu être vérifiée. Rechargez la page et "
                             "recommencez.")
        email, password = form_field(request, "email"), (request.form.get("password") or "")
        source = client_address(request.ip, request.headers.getall("x-forwarded-for", []))
        # An e-mail being guessed from elsewhere makes every answer for it wait a little (here,
        # not in a thread nor while holding a password-check slot); an address that guessed
        # too often is refused without a check. The account itself is never locked.
        gate = await run(login_gate, source, email)
        if gate.refused:
            account = None
        else:
            if gate.delay:
                await asyncio.sleep(gate.delay)
            async with _login_slots():
                account = (await run(authenticate, email, password[:256],
                                     source=source)).account
        if account is None:
            csrf = secrets.token_urlsafe(24)
            resp = render("login.html", status=401, csrf_token=csrf, error=LOGIN_REFUSED,
                          email=email[:254], me=None, message=None,
                          next=form_field(request, "next"))
            set_cookie(resp, LOGIN_CSRF_COOKIE, csrf)
            return resp
        await run(close_session, request.cookies.get(SESSION_COOKIE))  # a new login, a new session
        token = await run(open_session, account.id)
        wanted = form_field(request, "next")
        # Only our own pages: no open redirect.
        if not (wanted.startswith(PREFIX + "/") and "//" not in wanted and "\\" not in wanted):
            wanted = PREFIX + ("/admin" if account.is_admin else "/structure")
        resp = response.redirect(wanted, status=303)
        set_cookie(resp, SESSION_COOKIE, token)
        clear_cookie(resp, LOGIN_CSRF_COOKIE)
        return resp

    @bp.post("/logout")
    @login_required()
    async def logout(request: Request, active: ActiveSession) -> HTTPResponse:
        await run(close_session, request.cookies.get(SESSION_COOKIE))
        resp = redirect("/login", msg="logged_out")
        clear_cookie(resp, SESSION_COOKIE)
        return resp
