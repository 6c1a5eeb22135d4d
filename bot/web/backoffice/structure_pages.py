"""The pages of a structure's staff (and of admins, for any place): their place with the
referrals to confirm and the upcoming bookings, marking a referral, cancelling a booking, the
agenda (weekly hours, slot length, seats) and its closures.

Staff see only their own place: anything else is 403, or 404 for a booking or referral of
another place, which they must not learn exists.
"""
from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.booking.agenda_edit import AgendaEditError, update_agenda
from bot.booking.bookings import get_booking, upcoming_bookings
from bot.booking.errors import BookingError
from bot.booking.partners.closures import add_closure as add_operator_closure
from bot.booking.partners.errors import PartnersError
from bot.booking.staff import cancel_by_staff
from bot.clock import now_paris
from bot.funding.errors import FundingError
from bot.funding.marking import mark_absent, mark_accompanied
from bot.funding.referral_lists import referrals_of_place, referrals_to_confirm
from bot.web.backoffice.pages import (PREFIX, actor_of, form_field, login_required, not_found,
                                      redirect, render, run, shown_message)
from bot.web.backoffice.places import (partner_summary, place_summary, referral_place,
                                       remove_operator_closure)
from bot.web.backoffice.sessions import ActiveSession


async def structure_page(request: Request, active: ActiveSession, place_pk: int) -> HTTPResponse:
    place = await run(place_summary, place_pk)
    if place is None:
        return not_found()
    to_confirm = await run(referrals_to_confirm, place_pk)
    upcoming = await run(upcoming_bookings, place_pk)
    recent = await run(referrals_of_place, place_pk)
    # Who oriented each person (a prescripteur's organisation), for the upcoming bookings too.
    oriented = {r.booking_id: r.oriented_by_organisation for r in recent
                if r.booking_id is not None and r.oriented_by == "prescripteur"}
    return render("structure.html", me=active.account, csrf_token=active.csrf_token,
                  place=place, to_confirm=to_confirm, upcoming=upcoming, oriented=oriented,
                  recent=[r for r in recent if r.status != "booked"][:50],
                  today=now_paris().date(), message=shown_message(request),
                  error=request.args.get("error"))


async def agenda_page(request: Request, active: ActiveSession, place_pk: int, *,
                      status: int = 200, problems: list[str] | None = None,
                      typed: dict | None = None) -> HTTPResponse:
    partner = await run(partner_summary, place_pk)
    if partner is None:
        return not_found()
    return render("agenda.html", status=status, me=active.account,
                  csrf_token=active.csrf_token, partner=partner, message=shown_message(request),
                  error=request.args.get("error"), today=now_paris().date(),
                  problems=problems or [], typed=typed or {})


def _back(active: ActiveSession, place_pk: int) -> str:
    return f"/places/{place_pk}" if active.account.is_admin else "/structure"


def add_structure_routes(bp: Blueprint) -> None:
    """/structure, /places/<pk>, marking, cancelling, the agenda and its closures."""

    @bp.get("/structure")
    @login_required()
    async def my_structure(request: Request, active: ActiveSession) -> HTTPResponse:
        if active.account.is_admin:
            return redirect("/admin/partners")
        return await structure_page(request, active, active.account.place_pk)

    @bp.get("/places/<place_pk:int>")
    @login_required()
    async def place_page(request: Request, active: ActiveSession, place_pk: int) -> HTTPResponse:
        return await structure_page(request, active, place_pk)

    @bp.post("/referrals/<referral_id:int>/mark")
    @login_required()
    async def mark(request: Request, active: ActiveSession, referral_id: int) -> HTTPResponse:
        place_pk = await run(referral_place, referral_id)
        if place_pk is None or not active.account.may_see_place(place_pk):
            return not_found()
        outcome = form_field(request, "outcome")
        try:
            if outcome == "accompanied":
                try:
                    on = date.fromisoformat(form_field(request, "accompanied_on"))
                except ValueError:
                    return redirect(_back(active, place_pk), error="date")
                result = await run(mark_accompanied, referral_id, on=on, actor=actor_of(active))
            elif outcome == "absent":
                result = await run(mark_absent, referral_id, actor=actor_of(active))
            else:
                return redirect(_back(active, place_pk), error="outcome")
        except FundingError as error:
            return render("error.html", status=409, title="Impossible",
                          reason=error.message_fr, me=active.account,
                          csrf_token=active.csrf_token, back=PREFIX + _back(active, place_pk))
        return redirect(_back(active, place_pk), msg=outcome if result.changed else "unchanged")

    @bp.post("/bookings/<booking_id:int>/cancel")
    @login_required()
    async def cancel(request: Request, active: ActiveSession, booking_id: int) -> HTTPResponse:
        booking = await run(get_booking, booking_id)
        if booking is None or not active.account.may_see_place(booking.place_pk):
            return not_found()
        try:
            await run(cancel_by_staff, booking_id, by=active.account.role,
                      actor=active.account.email)
        except BookingError as error:
            return render("error.html", status=409, title="Impossible",
                          reason=getattr(error, "message_fr", None)
                          or "Ce rendez-vous ne peut plus être annulé (il a commencé).",
                          me=active.account, csrf_token=active.csrf_token,
                          back=PREFIX + _back(active, booking.place_pk))
        return redirect(_back(active, booking.place_pk), msg="cancelled")

    # -- agenda and closures ---------------------------------------------------------------------

    @bp.post("/places/<place_pk:int>/agendas/<agenda_id:int>")
    @login_required()
    async def edit_agenda(request: Request, active: ActiveSession, place_pk: int,
                          agenda_id: int) -> HTTPResponse:
        typed = {"agenda_id": agenda_id, "hours": form_field(request, "hours"),
                 "slot_minutes": form_field(request, "slot_minutes"),
                 "seats": form_field(request, "seats")}
        try:
            await run(update_agenda, place_pk, agenda_id, hours=typed["hours"],
                      slot_minutes=typed["slot_minutes"], seats=typed["seats"] or "1",
                      actor=active.account.email)
        except AgendaEditError as error:
            return await agenda_page(request, active, place_pk, status=400,
                                     problems=error.problems, typed=typed)
        return redirect(f"/places/{place_pk}/agenda", msg="agenda_saved")

    @bp.get("/places/<place_pk:int>/agenda")
    @login_required()
    async def agenda(request: Request, active: ActiveSession, place_pk: int) -> HTTPResponse:
        return await agenda_page(request, active, place_pk)

    @bp.post("/places/<place_pk:int>/closures")
    @login_required()
    async def add_closure(request: Request, active: ActiveSession, place_pk: int) -> HTTPResponse:
        back = f"/places/{place_pk}/agenda"
        try:
            start = date.fromisoformat(form_field(request, "start"))
            end = date.fromisoformat(form_field(request, "end") or form_field(request, "start"))
        except ValueError:
            return redirect(back, error="dates")
        reason = form_field(request, "reason")[:500]
        if not reason:
            return redirect(back, error="reason")
        if end < start:
            return redirect(back, error="order")
        if start < now_paris().date():
            return redirect(back, error="past")
        agenda_key = form_field(request, "agenda") or None
        try:
            await run(add_operator_closure, str(place_pk), start, end,
                      f"{reason} ({active.account.email})", agenda_key=agenda_key)
        except PartnersError:
            return redirect(back, error="agenda")
        return redirect(back, msg="closure_added")

    @bp.post("/places/<place_pk:int>/closures/<closure_id:int>/delete")
    @login_required()
    async def remove_closure(request: Request, active: ActiveSession, place_pk: int,
                             closure_id: int) -> HTTPResponse:
        removed = await run(remove_operator_closure, place_pk, closure_id)
        if not removed:
            return not_found()
        return redirect(f"/places/{place_pk}/agenda", msg="closure_removed")
