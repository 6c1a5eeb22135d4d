#!/bin/sh
# Rebuilds requirements.lock: a fresh Python 3.10 venv, the dependencies of pyproject.toml
# (with the dev extra) resolved by pip, then frozen with exact versions.
set -eu
cd "$(dirname "$0")/.."
PYTHON=$(scripts/find_python310.sh)
tmp=$(mktemp -d)
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet "pip==24.0"
"$tmp/venv/bin/pip" install --quiet ".[dev]"
{
  echo "# Exact versions for Python 3.10 (Linux x86_64), installed by 'make' with 'pip install -r requirements.lock'."
  echo "# Regenerate with 'make lock' after changing the dependencies in pyproject.toml."
  "$tmp/venv/bin/pip" freeze --all | grep -v -i -E "^(numerique-pour-tous|pip)([= @]|$)"
} > requirements.lock
rm -rf "$tmp"
echo "requirements.lock: $(grep -c '==' requirements.lock) pinned packages"
