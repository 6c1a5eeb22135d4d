"""A small self-contained SVG bar chart: the prescripteurs' referrals of each month of a year,
and how many of them the person confirmed themselves. No JavaScript, no external file;
`role="img"` with a French title and a description giving the figures."""
from __future__ import annotations

from xml.sax.saxutils import escape

from bot.chart_scale import MONTHS_FR, nice_step
from bot.prescripteurs.activity import Activity

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 50, 16, 30, 40
BAR, CONFIRMED, GRID, TEXT = "#8fb3de", "#1d4e89", "#d9d9d9", "#333333"


def activity_chart_svg(months: dict[str, Activity], year: int) -> str:
    """`months`: "YYYY-MM" -> the figures of every organisation together."""
    values = [months.get(f"{year}-{m:02d}", Activity()) for m in range(1, 13)]
    top = max((v.referrals for v in values), default=0)
    step = nice_step(max(top, 1) / 4)
    ceiling = step * max(1, -(-max(top, 1) // step))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / 12

    def y(count: int) -> float:
        return TOP + plot_h - plot_h * count / ceiling

    said = "; ".join(f"{MONTHS_FR[i]} : {v.referrals} orientation(s), {v.confirmed} confirmée(s)"
                     for i, v in enumerate(values) if v.referrals) or "aucune orientation"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-labelledby="orientations-title orientations-desc">',
             f'<title id="orientations-title">Orientations des prescripteurs en {year}</title>',
             f'<desc id="orientations-desc">{escape(said)}</desc>']
    for tick in range(0, ceiling + 1, step):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
                     f'font-size="12" fill="{TEXT}">{tick}</text>')
    for index, value in enumerate(values):
        x = LEFT + index * slot + slot * 0.15
        width = slot * 0.7
        if value.referrals:
            parts.append(f'<rect x="{x:.1f}" y="{y(value.referrals):.1f}" width="{width:.1f}" '
                         f'height="{y(0) - y(value.referrals):.1f}" fill="{BAR}"/>')
        if value.confirmed:
            parts.append(f'<rect x="{x:.1f}" y="{y(value.confirmed):.1f}" width="{width:.1f}" '
                         f'height="{y(0) - y(value.confirmed):.1f}" fill="{CONFIRMED}"/>')
        parts.append(f'<text x="{x + width / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                     f'text-anchor="middle" font-size="12" fill="{TEXT}">{MONTHS_FR[index]}</text>')
    parts.append(f'<text x="{LEFT}" y="{TOP - 12}" font-size="12" fill="{TEXT}">'
                 f'<tspan fill="{BAR}">■</tspan> orientations  '
                 f'<tspan fill="{CONFIRMED}">■</tspan> confirmées par la personne</text>')
    parts.append("</svg>")
    return "".join(parts)
