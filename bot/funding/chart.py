"""A small self-contained SVG chart: cumulative persons funded over the year against the cap.

No JavaScript, no external font or stylesheet; `role="img"` with a French `<title>` and `<desc>`
that give the figures, so that a screen reader tells what the drawing shows.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Sequence
from xml.sax.saxutils import escape

from bot.chart_scale import MONTHS_FR, nice_step
from bot.funding.report import format_int, format_percent

EMPTY_TEXT = "Aucune personne financée pour l'instant"

WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 70, 24, 36, 48
LINE_COLOUR, CAP_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#1d4e89", "#a4161a", "#d9d9d9", "#333333"


def _persons(count: int) -> str:
    return f"{format_int(count)} personne{'s' if abs(count) > 1 else ''}"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def chart_description(series: Sequence[tuple[date, int]], cap: int, year: int) -> str:
    """The French sentence that says what the chart shows."""
    if not series:
        return f"{EMPTY_TEXT} en {year} ; plafond de {_persons(cap)}."
    last_day, funded = series[-1]
    return (f"Cumul des personnes financées en {year} selon le jour d'enregistrement de leur "
            f"accompagnement : {format_int(funded)} "
            f"personne{'s' if funded > 1 else ''} financée{'s' if funded > 1 else ''} "
            f"sur un plafond de {format_int(cap)} ({format_percent(funded, cap)} du plafond), "
            f"au {last_day:%d/%m/%Y}.")


def funding_chart_svg(series: Sequence[tuple[date, int]], cap: int, year: int, *,
                      until: date | None = None) -> str:
    """The SVG (a string) of `series` (funded_over_time: [(day, cumulative funded)]) in `year`.

    x runs from 1 January to 31 December; the step line stops at `until` (default: the day after
    the last point). Days outside the year are drawn at its edges.
    """
    series = sorted((day, int(count)) for day, count in series)
    first, last = date(year, 1, 1), date(year, 12, 31)
    days = (last - first).days + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_value = max([cap, 1] + [count for _, count in series])
    step = nice_step(top_value * 1.05 / 4)
    y_max = step * math.ceil(top_value * 1.05 / step)

    def x(day: date) -> float:
        offset = min(max((day - first).days, 0), days)
        return LEFT + plot_w * offset / days

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / y_max

    title_id, desc_id = f"npt-funding-{year}-title", f"npt-funding-{year}-desc"
    title = f"Personnes financées en {year}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'font-family="sans-serif" font-size="12">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(chart_description(series, cap, year))}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="{TOP - 14}" fill="{TEXT_COLOUR}" font-size="14" '
        f'font-weight="bold">{escape(title)}</text>',
    ]
    # Horizontal grid and y labels.
    for value in range(0, y_max + 1, step):
        out.append(f'<line x1="{LEFT}" y1="{_num(y(value))}" x2="{LEFT + plot_w}" '
                   f'y2="{_num(y(value))}" stroke="{GRID_COLOUR}" stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 6}" y="{_num(y(value) + 4)}" text-anchor="end" '
                   f'fill="{TEXT_COLOUR}">{escape(format_int(value))}</text>')
    # Months: a tick at each first day, the name in the middle of the month.
    for month in range(1, 13):
        start = date(year, month, 1)
        end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        out.append(f'<line x1="{_num(x(start))}" y1="{TOP + plot_h}" x2="{_num(x(start))}" '
                   f'y2="{TOP + plot_h + 5}" stroke="{TEXT_COLOUR}" stroke-width="1"/>')
        middle = (x(start) + x(end)) / 2
        out.append(f'<text x="{_num(middle)}" y="{TOP + plot_h + 18}" text-anchor="middle" '
                   f'fill="{TEXT_COLOUR}">{escape(MONTHS_FR[month - 1])}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
               f'stroke="{TEXT_COLOUR}" stroke-width="1"/>')
    out.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 8}" text-anchor="middle" '
               f'fill="{TEXT_COLOUR}">{escape(f"Jour d’enregistrement ({year})")}</text>')
    out.append(f'<text x="14" y="{TOP + plot_h / 2:.0f}" text-anchor="middle" '
               f'fill="{TEXT_COLOUR}" transform="rotate(-90 14 {TOP + plot_h / 2:.0f})">'
               f'{escape("Personnes financées (cumul)")}</text>')
    # The cap.
    cap_y = _num(y(cap))
    out.append(f'<line class="cap" x1="{LEFT}" y1="{cap_y}" x2="{LEFT + plot_w}" y2="{cap_y}" '
               f'stroke="{CAP_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>')
    out.append(f'<text x="{LEFT + plot_w - 4}" y="{_num(y(cap) - 6)}" text-anchor="end" '
               f'fill="{CAP_COLOUR}">{escape(f"Plafond : {format_int(cap)}")}</text>')
    # The step line of cumulative funded persons.
    if not series:
        out.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="{TOP + plot_h / 2:.0f}" '
                   f'text-anchor="middle" fill="{TEXT_COLOUR}" font-size="14" stroke="#ffffff" '
                   f'stroke-width="6" paint-order="stroke">{escape(EMPTY_TEXT)}</text>')
    else:
        path = [f"M{_num(x(first))} {_num(y(0))}"]
        for day, count in series:
            path.append(f"H{_num(x(day))} V{_num(y(count))}")
        stop = until if until is not None else series[-1][0] + timedelta(days=1)
        end_x = max(x(stop), x(series[-1][0]))
        path.append(f"H{_num(end_x)}")
        funded = series[-1][1]
        out.append(f'<path class="funded" d="{" ".join(path)}" fill="none" '
                   f'stroke="{LINE_COLOUR}" stroke-width="2"/>')
        anchor = "end" if end_x > LEFT + plot_w * 0.85 else "start"
        label_x = end_x - 4 if anchor == "end" else end_x + 4
        # Above the line, unless the cap's label is there.
        label_y = y(funded) + 16 if abs(y(funded) - y(cap)) < 16 else y(funded) - 6
        out.append(f'<text class="funded-count" x="{_num(label_x)}" y="{_num(label_y)}" '
                   f'text-anchor="{anchor}" fill="{LINE_COLOUR}" font-weight="bold">'
                   f'{escape(format_int(funded))}</text>')
    out.append("</svg>")
    return "\n".join(out)

