"""The pages of the Métropole's admins: the funding dashboard and its exports (CSV, XLSX),
validating a year, the partner places, merging two persons, the audit log."""
from __future__ import annotations

import logging

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.booking.partners.listing import list_partners
from bot.clock import now_paris
from bot.funding.audit import audit_events
from bot.funding.chart import funding_chart_svg
from bot.funding.errors import FundingError
from bot.funding.export import report_csv, report_xlsx
from bot.funding.merges import merge_persons
from bot.funding.report import funded_over_time, funding_report
from bot.funding.rules import UnknownFundingYear, funding_rules
from bot.funding.years import validate_year
from bot.web.backoffice.pages import (PREFIX, actor_of, form_field, login_required, not_found,
                                      redirect, render, run, shown_message)
from bot.web.backoffice.sessions import ActiveSession

log = logging.getLogger(__name__)


def _year(request: Request, default: int) -> int:
    try:
        year = int(request.args.get("year", default))
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


async def export(request: Request, active: ActiveSession, fmt: str) -> HTTPResponse:
    """The year's funding report as a file, "csv" or "xlsx"."""
    year = _year(request, now_paris().year)
    by = request.args.get("by", "structure")
    if by not in ("structure", "commune", "ept", "organisation"):
        return not_found()
    try:
        report = await run(funding_report, year, by)
    except UnknownFundingYear:
        return not_found()
    name = f"financement-{year}-par-{by}.{fmt}"
    if fmt == "csv":
        body, mime = report_csv(report), "text/csv; charset=utf-8"
    else:
        body = await run(report_xlsx, report)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    log.info("funding export %s by %s", name, active.account.email)
    return response.raw(body, content_type=mime, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})


def add_admin_routes(bp: Blueprint) -> None:
    """/admin (the dashboard), its exports, /admin/validate, /admin/partners, /admin/persons
    (merge) and /admin/audit."""

    @bp.get("/admin")
    @login_required(admin=True)
    async def dashboard(request: Request, active: ActiveSession) -> HTTPResponse:
        years = list(funding_rules())
        this_year = now_paris().year
        year = _year(request, this_year if this_year in years else years[-1])
        by = request.args.get("by", "structure")
        if by not in ("structure", "commune", "ept", "organisation"):
            by = "structure"
        try:
            report = await run(funding_report, year, by)
        except UnknownFundingYear:
            return render("error.html", status=404, title="Année inconnue",
                          reason=f"Aucune règle de financement pour {year}.",
                          me=active.account, csrf_token=active.csrf_token,
                          back=PREFIX + "/admin")
        series = await run(funded_over_time, year)
        chart = funding_chart_svg(series, report.cap, year)
        return render("dashboard.html", me=active.account, csrf_token=active.csrf_token,
                      report=report, chart=chart, years=years, year=year, by=by,
                      message=shown_message(request))

    @bp.get("/admin/export.csv", name="export_csv")
    @login_required(admin=True)
    async def export_csv(request: Request, active: ActiveSession) -> HTTPResponse:
        return await export(request, active, "csv")

    @bp.get("/admin/export.xlsx", name="export_xlsx")
    @login_required(admin=True)
    async def export_xlsx(request: Request, active: ActiveSession) -> HTTPResponse:
        return await export(request, active, "xlsx")

    @bp.post("/admin/validate")
    @login_required(admin=True)
    async def validate(request: Request, active: ActiveSession) -> HTTPResponse:
        try:
            year = int(form_field(request, "year"))
            await run(validate_year, year, actor=actor_of(active))
        except ValueError:
            return redirect("/admin")
        except FundingError as error:
            return render("error.html", status=409, title="Impossible", reason=error.message_fr,
                          me=active.account, csrf_token=active.csrf_token,
                          back=PREFIX + "/admin")
        return redirect("/admin", year=year, msg="validated")

    @bp.get("/admin/partners")
    @login_required(admin=True)
    async def partners(request: Request, active: ActiveSession) -> HTTPResponse:
        found = await run(list_partners)
        return render("partners.html", me=active.account, csrf_token=active.csrf_token,
                      partners=found)

    @bp.get("/admin/persons")
    @login_required(admin=True)
    async def persons(request: Request, active: ActiveSession) -> HTTPResponse:
        return render("merge.html", me=active.account, csrf_token=active.csrf_token,
                      message=shown_message(request), error=None, form={})

    @bp.post("/admin/persons/merge")
    @login_required(admin=True)
    async def merge(request: Request, active: ActiveSession) -> HTTPResponse:
        form = {name: form_field(request, name) for name in ("from_key", "into_key", "reason")}
        try:
            if not all(form.values()):
                raise ValueError("Remplissez les trois champs.")
            await run(merge_persons, form["from_key"], form["into_key"], actor=actor_of(active),
                      reason=form["reason"])
        except ValueError as error:
            return render("merge.html", status=400, me=active.account,
                          csrf_token=active.csrf_token, message=None, error=str(error), form=form)
        except FundingError as error:
            return render("merge.html", status=409, me=active.account,
                          csrf_token=active.csrf_token, message=None, error=error.message_fr,
                          form=form)
        return redirect("/admin/persons", msg="merged")

    @bp.get("/admin/audit")
    @login_required(admin=True)
    async def audit(request: Request, active: ActiveSession) -> HTTPResponse:
        referral = request.args.get("referral", "")
        referral_id = (int(referral) if referral.isascii() and referral.isdigit()
                       and len(referral) < 10 else None)
        events = await run(audit_events, referral_id=referral_id, limit=300)
        return render("audit.html", me=active.account, csrf_token=active.csrf_token,
                      events=events, referral=referral_id)
