"""The Métropole's admins manage the prescripteur organisations and their access codes: list,
create (the code is shown once, on the answer page, never in a URL), another code, revoke; and
see what each organisation's referrals became this year (a table and a chart, counts only)."""
from __future__ import annotations

import logging

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clock import now_paris
from bot.prescripteurs.activity import Activity, organisation_activity
from bot.prescripteurs.chart import activity_chart_svg
from bot.prescripteurs.organisations import (KINDS, OrganisationError, add_code,
                                             create_organisation, get_organisation,
                                             list_organisations, revoke_code)
from bot.web.backoffice.pages import (MAX_ID, form_field, login_required, not_found, redirect,
                                      render, run, shown_message)
from bot.web.backoffice.sessions import ActiveSession

log = logging.getLogger(__name__)


def add_organisation_routes(bp: Blueprint) -> None:
    """/admin/organisations, its create, new-code and revoke forms."""

    async def page(active: ActiveSession, *, status: int = 200, new_code: str | None = None,
                   new_code_for: str | None = None, error: str | None = None,
                   form: dict | None = None, message: str | None = None) -> HTTPResponse:
        organisations = await run(list_organisations)
        year = now_paris().year
        activity = await run(organisation_activity, year)
        by_month: dict[str, Activity] = {}
        for organisation in activity:
            for month, figures in organisation.months.items():
                by_month[month] = by_month.get(month, Activity()) + figures
        return render("organisations.html", status=status, me=active.account,
                      csrf_token=active.csrf_token, organisations=organisations, kinds=KINDS,
                      year=year, activity=activity,
                      chart=activity_chart_svg(by_month, year),
                      new_code=new_code, new_code_for=new_code_for, error=error,
                      form=form or {}, message=message)

    @bp.get("/admin/organisations")
    @login_required(admin=True)
    async def organisations(request: Request, active: ActiveSession) -> HTTPResponse:
        return await page(active, message=shown_message(request))

    @bp.post("/admin/organisations/create")
    @login_required(admin=True)
    async def create(request: Request, active: ActiveSession) -> HTTPResponse:
        form = {name: form_field(request, name) for name in ("name", "kind", "commune")}
        try:
            organisation, code = await run(create_organisation, form["name"], form["kind"],
                                           form["commune"], actor=active.account.email)
        except OrganisationError as error:
            return await page(active, status=400, error=error.message_fr, form=form)
        log.info("organisation %s created by %s", organisation.id, active.account.email)
        return await page(active, new_code=code, new_code_for=organisation.name)

    @bp.post("/admin/organisations/<organisation_id:int>/code")
    @login_required(admin=True)
    async def new_code(request: Request, active: ActiveSession,
                       organisation_id: int) -> HTTPResponse:
        if organisation_id > MAX_ID:
            return not_found()
        organisation = await run(get_organisation, organisation_id)
        if organisation is None:
            return not_found()
        code = await run(add_code, None, actor=active.account.email,
                         organisation_id=organisation.id)
        log.info("new code for organisation %s by %s", organisation.id, active.account.email)
        return await page(active, new_code=code, new_code_for=organisation.name)

    @bp.post("/admin/organisations/codes/<code_id:int>/revoke")
    @login_required(admin=True)
    async def revoke(request: Request, active: ActiveSession, code_id: int) -> HTTPResponse:
        if code_id > MAX_ID:
            return not_found()
        try:
            await run(revoke_code, None, actor=active.account.email, code_id=code_id)
        except OrganisationError as error:
            return await page(active, status=409, error=error.message_fr)
        log.info("code %s revoked by %s", code_id, active.account.email)
        return redirect("/admin/organisations", msg="code_revoked")
