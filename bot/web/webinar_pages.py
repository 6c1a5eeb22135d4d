"""The pages a webinar registrant reaches from a link (bot/webinars/links.py): the invitation
(.ics) to download, and the cancellation page. The secret token of the link is the only proof
asked: it was sent to this person alone (by chat or email) and cannot be guessed (256 bits).
Cancelling takes a POST from the page's button, so a mail client or a link preview that opens
the link cancels nothing."""
from __future__ import annotations

import asyncio
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clock import from_db, say_slot
from bot.webinars.invitation import invitation_ics
from bot.webinars.registrations import cancel_by_id, registration_by_token
from bot.webinars.seats import ACTIVE

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                        autoescape=select_autoescape(["html"]))
GONE = "Ce lien ne correspond à aucune inscription. Vérifiez qu'il est complet."


def _page(state: str, webinar) -> HTTPResponse:
    heading = {"ask": "Annuler votre inscription", "done": "Inscription annulée",
               "gone": "Inscription déjà annulée"}[state]
    html = TEMPLATES.get_template("webinar_cancel.html").render(
        heading=heading, state=state, title=webinar.title, when=say_slot(from_db(webinar.start_at)))
    return response.html(html, headers={"Cache-Control": "no-store"})


def webinar_blueprint() -> Blueprint:
    blueprint = Blueprint("webinars", url_prefix="/webinaires")

    @blueprint.get("/<token:str>/invitation.ics")
    async def invitation(request: Request, token: str) -> HTTPResponse:
        found = await asyncio.to_thread(registration_by_token, token)
        if found is None:
            return response.text(GONE, status=404)
        registration, webinar = found
        if registration.status not in ACTIVE:
            return response.text("Cette inscription est annulée : l'invitation n'est plus "
                                 "valable.", status=410)
        body = invitation_ics(registration.id, webinar.title, from_db(webinar.start_at),
                              webinar.minutes, webinar.link, sequence=webinar.sequence or 0,
                              description=webinar.description)
        return response.raw(body, content_type="text/calendar; charset=utf-8", headers={
            "Content-Disposition": 'attachment; filename="invitation-webinaire.ics"',
            "Cache-Control": "no-store"})

    @blueprint.get("/<token:str>/annuler")
    async def cancel_page(request: Request, token: str) -> HTTPResponse:
        found = await asyncio.to_thread(registration_by_token, token)
        if found is None:
            return response.text(GONE, status=404)
        registration, webinar = found
        return _page("ask" if registration.status in ACTIVE else "gone", webinar)

    @blueprint.post("/<token:str>/annuler")
    async def cancel(request: Request, token: str) -> HTTPResponse:
        found = await asyncio.to_thread(registration_by_token, token)
        if found is None:
            return response.text(GONE, status=404)
        registration, webinar = found
        done = await asyncio.to_thread(cancel_by_id, registration.id)
        return _page("done" if done else "gone", webinar)

    return blueprint
