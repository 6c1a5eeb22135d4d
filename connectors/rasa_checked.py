"""Each adaptation of Rasa that scripts/rasa_server.py installs replaces one method, written for
the method as it is in rasa 3.6.21. `to_replace` gives that method when it is still the one
the adaptation was written for (its source holds every line expected), None when the
adaptation is in place already (marked by `flag`), and refuses otherwise: a Rasa upgrade must
look at the adaptation again, and nothing changes silently."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Iterable, Optional


def to_replace(owner: Any, name: str, expected: Iterable[str], module: str,
               flag: str) -> Optional[Callable]:
    original = getattr(owner, name)
    if getattr(original, flag, False):
        return None
    source = inspect.getsource(original)
    if not all(part in source for part in expected):
        raise RuntimeError(f"{owner.__name__}.{name} is not the one of rasa 3.6.21: check "
                           f"{module} against the new Rasa")
    return original
