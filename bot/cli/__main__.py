"""`python -m bot.cli ...` is `npt ...` (scripts/servers.py runs `python -m bot.cli db upgrade`)."""
import sys

from bot.cli import main

sys.exit(main())
