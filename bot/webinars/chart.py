"""Registrations of a session by commune, as a small self-contained SVG bar chart (no
JavaScript; `role="img"` with a French title and a description giving every figure)."""
from __future__ import annotations

from xml.sax.saxutils import escape

from bot.webinars.figures import Counts

WIDTH, ROW, TOP, LEFT, RIGHT = 720, 26, 30, 220, 60
BAR, TEXT = "#1d4e89", "#333333"


def communes_chart_svg(by_commune: dict[str, Counts], title: str, limit: int = 20) -> str:
    shown = [(name, counts.registered) for name, counts in by_commune.items()
             if counts.registered][:limit]
    top = max((value for _, value in shown), default=0) or 1
    height = TOP + ROW * max(len(shown), 1) + 10
    plot = WIDTH - LEFT - RIGHT
    said = [f"{name} : {value}" for name, value in shown] or ["aucune inscription"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-labelledby="communes-title communes-desc">',
             f'<title id="communes-title">{escape(title)}</title>',
             f'<desc id="communes-desc">{escape("; ".join(said))}</desc>']
    if not shown:
        parts.append(f'<text x="{LEFT}" y="{TOP + 16}" font-size="13" fill="{TEXT}">'
                     f'Aucune inscription pour le moment</text>')
    for index, (name, value) in enumerate(shown):
        y = TOP + index * ROW
        width = plot * value / top
        parts.append(f'<text x="{LEFT - 8}" y="{y + 16}" text-anchor="end" font-size="13" '
                     f'fill="{TEXT}">{escape(name)}</text>')
        parts.append(f'<rect x="{LEFT}" y="{y + 3}" width="{max(width, 1):.1f}" '
                     f'height="{ROW - 8}" fill="{BAR}"/>')
        parts.append(f'<text x="{LEFT + width + 6:.1f}" y="{y + 16}" font-size="13" '
                     f'fill="{TEXT}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
