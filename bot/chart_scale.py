"""What the SVG charts share: the French short month names and a round tick step."""
from __future__ import annotations

import math

MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
             "nov.", "déc.")


def nice_step(raw: float) -> int:
    """A round tick step (1, 2, 2.5, 5 times a power of ten), never below one."""
    if raw <= 1:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step >= raw and float(step).is_integer():
            return int(step)
    return int(10 * power)
