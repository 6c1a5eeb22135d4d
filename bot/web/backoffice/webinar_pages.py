"""The Métropole's admins organise the webinars: the sessions (create, change: a new time or link
is told to every registrant), and for each session its attendee list (CSV, XLSX), the counts by
commune and by EPT with a chart, and the attendance marked after it began."""
from __future__ import annotations

import logging

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clock import now_paris
from bot.webinars.attendance import mark_attendance
from bot.webinars.attendees import attendees, attendees_csv, attendees_xlsx
from bot.webinars.chart import communes_chart_svg
from bot.webinars.errors import WebinarError
from bot.webinars.figures import session_figures
from bot.webinars.registrations import ROLES
from bot.webinars.sessions import create_session, edit_session, get_session, list_sessions
from bot.web.backoffice.pages import (MAX_ID, form_field, login_required, not_found, redirect,
                                      render, run, shown_message)
from bot.web.backoffice.sessions import ActiveSession

log = logging.getLogger(__name__)
FIELDS = ("title", "start", "minutes", "capacity", "link", "audience", "description")


def add_webinar_routes(bp: Blueprint) -> None:
    """/admin/webinars and each session's page, forms and files."""

    async def list_page(active: ActiveSession, *, status: int = 200, error: str | None = None,
                        form: dict | None = None, message: str | None = None) -> HTTPResponse:
        sessions = await run(list_sessions, False)
        return render("webinars.html", status=status, me=active.account,
                      csrf_token=active.csrf_token, sessions=sessions, now=now_paris(),
                      error=error, form=form or {}, message=message)

    async def session_page(active: ActiveSession, session_id: int, *, status: int = 200,
                           error: str | None = None, message: str | None = None,
                           form: dict | None = None) -> HTTPResponse:
        webinar = await run(get_session, session_id)
        if webinar is None:
            return not_found()
        people = await run(attendees, session_id)
        figures = await run(session_figures, session_id)
        return render("webinar.html", status=status, me=active.account,
                      csrf_token=active.csrf_token, webinar=webinar, people=people,
                      figures=figures, roles=ROLES, begun=webinar.start <= now_paris(),
                      chart=communes_chart_svg(figures.by_commune,
                                               f"Inscriptions par commune : {webinar.title}"),
                      error=error, message=message, form=form or {})

    @bp.get("/admin/webinars")
    @login_required(admin=True)
    async def webinars(request: Request, active: ActiveSession) -> HTTPResponse:
        return await list_page(active, message=shown_message(request))

    @bp.post("/admin/webinars/create")
    @login_required(admin=True)
    async def create(request: Request, active: ActiveSession) -> HTTPResponse:
        form = {name: form_field(request, name) for name in FIELDS}
        try:
            created = await run(create_session, form["title"], form["start"], form["minutes"],
                                form["capacity"], form["link"], actor=active.account.email,
                                audience=form["audience"], description=form["description"])
        except WebinarError as error:
            return await list_page(active, status=400, error=error.message_fr, form=form)
        log.info("webinar %s created by %s", created.id, active.account.email)
        return redirect(f"/admin/webinars/{created.id}", msg="webinar_created")

    @bp.get("/admin/webinars/<session_id:int>")
    @login_required(admin=True)
    async def webinar(request: Request, active: ActiveSession, session_id: int) -> HTTPResponse:
        return await session_page(active, session_id, message=shown_message(request))

    @bp.post("/admin/webinars/<session_id:int>/edit")
    @login_required(admin=True)
    async def edit(request: Request, active: ActiveSession, session_id: int) -> HTTPResponse:
        current = await run(get_session, session_id)
        if current is None:
            return not_found()
        form = {name: form_field(request, name) for name in FIELDS[:5]}
        try:
            _, told = await run(edit_session, session_id, active.account.email,
                                **{name: value for name, value in form.items() if value})
        except WebinarError as error:
            return await session_page(active, session_id, status=400, error=error.message_fr,
                                      form=form)
        log.info("webinar %s changed by %s (%s told)", session_id, active.account.email, told)
        return redirect(f"/admin/webinars/{session_id}",
                        msg="webinar_changed_told" if told else "webinar_changed")

    @bp.post("/admin/webinars/<session_id:int>/attendance")
    @login_required(admin=True)
    async def attendance(request: Request, active: ActiveSession,
                         session_id: int) -> HTTPResponse:
        present = set()
        for value in request.form.getlist("present") or []:
            if value.isdigit() and 0 < int(value) <= MAX_ID:
                present.add(int(value))
        try:
            await run(mark_attendance, session_id, present)
        except WebinarError as error:
            return await session_page(active, session_id, status=400, error=error.message_fr)
        return redirect(f"/admin/webinars/{session_id}", msg="attendance_saved")

    async def attendee_file(session_id: int, fmt: str) -> HTTPResponse:
        webinar = await run(get_session, session_id)
        if webinar is None:
            return not_found()
        people = await run(attendees, session_id)
        if fmt == "csv":
            body, mime = attendees_csv(people), "text/csv; charset=utf-8"
        else:
            body = await run(attendees_xlsx, people,
                             f"{webinar.title} — {webinar.start:%d/%m/%Y %H:%M}")
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return response.raw(body, content_type=mime, headers={
            "Content-Disposition": f'attachment; filename="webinaire-{session_id}.{fmt}"',
            "Cache-Control": "no-store"})

    @bp.get("/admin/webinars/<session_id:int>/attendees.csv")
    @login_required(admin=True)
    async def attendees_csv_file(request: Request, active: ActiveSession,
                                 session_id: int) -> HTTPResponse:
        return await attendee_file(session_id, "csv")

    @bp.get("/admin/webinars/<session_id:int>/attendees.xlsx")
    @login_required(admin=True)
    async def attendees_xlsx_file(request: Request, active: ActiveSession,
                                  session_id: int) -> HTTPResponse:
        return await attendee_file(session_id, "xlsx")
