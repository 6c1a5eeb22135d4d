"""`python -m bot.web`: serve the web chat page (see bot/web/app.py for the settings)."""
from __future__ import annotations

from bot.web.app import main

if __name__ == "__main__":
    main()
