"""Where the project's files are."""
from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
VAR_DIR = PROJECT_DIR / "var"
