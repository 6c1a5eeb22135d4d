"""The programme team's funnel (admins): conversations started, diagnostics completed, booked,
confirmed by the person, accompanied, absent; by month for a year, for one channel, commune or
organisation or all; a table and a chart. Counts only, no personal data (bot/funnel/)."""
from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clock import now_paris
from bot.funnel.chart import funnel_chart_svg
from bot.funnel.figures import CHANNEL_LABELS, STEP_LABELS, STEPS, choices, funnel
from bot.web.backoffice.pages import MAX_ID, login_required, render, run
from bot.web.backoffice.sessions import ActiveSession


def _filters(request: Request, default_year: int) -> tuple[int, str | None, str | None, int | None]:
    """The year and the filters of the query string; anything unusable is ignored."""
    try:
        year = int(request.args.get("year", default_year))
    except ValueError:
        year = default_year
    year = year if 2000 <= year <= 2100 else default_year
    channel = request.args.get("channel") or None
    channel = channel if channel in CHANNEL_LABELS else None
    commune = request.args.get("commune") or None
    commune = commune if commune and len(commune) == 5 and commune.isalnum() else None
    try:
        organisation = int(request.args.get("organisation") or 0) or None
    except ValueError:
        organisation = None
    organisation = organisation if organisation is None or 0 < organisation <= MAX_ID else None
    return year, channel, commune, organisation


def add_funnel_routes(bp: Blueprint) -> None:
    """/admin/funnel."""

    @bp.get("/admin/funnel")
    @login_required(admin=True)
    async def funnel_page(request: Request, active: ActiveSession) -> HTTPResponse:
        year, channel, commune, organisation = _filters(request, now_paris().year)
        figures = await run(funnel, year, channel, commune, organisation)
        offered = await run(choices, year)
        return render("funnel.html", me=active.account, csrf_token=active.csrf_token,
                      year=year, channel=channel, commune=commune, organisation=organisation,
                      figures=figures, offered=offered, steps=STEPS, labels=STEP_LABELS,
                      channel_labels=CHANNEL_LABELS,
                      chart=funnel_chart_svg(figures.totals, f"Parcours des personnes en {year}"))
