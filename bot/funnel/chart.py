"""The funnel as a small self-contained SVG: one horizontal bar per step, from the conversations
started to the persons accompanied, each with its count and its share of the step before. No
JavaScript; `role="img"` with a French title and a description giving the figures."""
from __future__ import annotations

from xml.sax.saxutils import escape

from bot.funnel.figures import SHARE_OF, STEP_LABELS, STEPS

WIDTH, ROW, TOP, LEFT, RIGHT = 720, 36, 34, 200, 120
BAR, MUTED, TEXT = "#1d4e89", "#d9d9d9", "#333333"


def funnel_chart_svg(totals: dict[str, int | None], title: str) -> str:
    """`totals`: step -> count (None: not counted for this selection)."""
    known = [v for v in totals.values() if v is not None]
    top = max(known, default=0) or 1
    height = TOP + ROW * len(STEPS) + 10
    plot = WIDTH - LEFT - RIGHT
    said = []
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-labelledby="funnel-title funnel-desc">',
             f'<title id="funnel-title">{escape(title)}</title>']
    rows = []
    for index, step in enumerate(STEPS):
        value = totals.get(step)
        y = TOP + index * ROW
        label = STEP_LABELS[step]
        rows.append(f'<text x="{LEFT - 8}" y="{y + 20}" text-anchor="end" font-size="13" '
                    f'fill="{TEXT}">{escape(label)}</text>')
        if value is None:
            said.append(f"{label} : non compté pour ce choix")
            rows.append(f'<text x="{LEFT}" y="{y + 20}" font-size="13" fill="{TEXT}">'
                        f'non compté pour ce choix</text>')
            continue
        width = plot * value / top
        rows.append(f'<rect x="{LEFT}" y="{y + 4}" width="{max(width, 1):.1f}" height="{ROW - 10}" '
                    f'fill="{BAR if value else MUTED}"/>')
        base = totals.get(SHARE_OF.get(step, ""))
        share = f" ({round(100 * value / base)} %)" if base else ""
        rows.append(f'<text x="{LEFT + width + 6:.1f}" y="{y + 20}" font-size="13" '
                    f'fill="{TEXT}">{value}{share}</text>')
        said.append(f"{label} : {value}{share}")
    parts.append(f'<desc id="funnel-desc">{escape("; ".join(said))}</desc>')
    parts.extend(rows)
    parts.append("</svg>")
    return "".join(parts)
