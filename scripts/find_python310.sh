#!/bin/sh
# Prints the path of a Python 3.10 interpreter: PATH first, then pyenv, then usual places.
# Exits 1 with a clear message when there is none (Rasa 3.6 runs on Python 3.10 only).
is310() { [ -x "$1" ] || command -v "$1" >/dev/null 2>&1 || return 1
          "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }
for candidate in python3.10 python3 python; do
  if is310 "$candidate"; then command -v "$candidate"; exit 0; fi
done
roots=""
if command -v pyenv >/dev/null 2>&1; then roots="$(pyenv root 2>/dev/null)"; fi
roots="$roots ${PYENV_ROOT:-} $HOME/.pyenv /root/.pyenv"
for root in $roots; do
  for candidate in $(ls -d "$root"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -r -V); do
    if is310 "$candidate"; then echo "$candidate"; exit 0; fi
  done
done
for candidate in /usr/local/bin/python3.10 /usr/bin/python3.10; do
  if is310 "$candidate"; then echo "$candidate"; exit 0; fi
done
echo "No Python 3.10 found (Rasa 3.6 needs exactly 3.10). Install it, e.g. 'pyenv install 3.10' or the python3.10 package, then run make again." >&2
exit 1
