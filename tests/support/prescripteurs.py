"""The prescripteur path with the running assistant: organisations and their codes made the way
the Métropole makes them (`npt organisations`), the diagnostic at the counter, and the
scheduler's turn that sends what is due."""
from __future__ import annotations

import os
import re
import subprocess
import uuid

from scripts.servers import PROJECT_DIR, VENV_BIN
from tests.support.databases import rows

# The diagnostic at the counter: the prescripteur's answers, and the question (in the third
# person) that each one brings.
THIRD_PERSON_PATH = [
    ("oui", "numéro de mobile de la personne"),
    # (the mobile comes here)
    ("jai juste mon portable", "La personne a-t-elle internet ?"),
    ("2", "la personne a-t-elle utilisé internet ?"),
    ("un peu", "La personne a-t-elle cherché une information"),
    ("avec l'aide de ma fille", "La personne a-t-elle envoyé un message"),
    ("oui seul", "La personne a-t-elle rempli un formulaire"),
    ("jamais", "La personne a-t-elle créé un compte"),
    ("non", "La personne a-t-elle fait une démarche en ligne"),
    ("3", "Pour quoi la personne veut-elle de l'aide ?"),
    ("la caf", "La personne a-t-elle besoin d'une aide particulière ?"),
    ("non", "Résultat pour la personne"),
]


def new_mobile() -> str:
    """A metropolitan French mobile nobody else in the tests has (06 12 ..: never an overseas
    range such as 06 90, which `phonenumbers` does not take for a mobile of France)."""
    return "+33612" + str(uuid.uuid4().int)[:6]


def send_due(assistant):
    """What the scheduler does every minute: send the notifications due."""
    from bot.notifications.sender import send_due as send

    return send(url=assistant.db_url, rasa=assistant.rasa_url, token=assistant.env["NPT_RASA_TOKEN"])


def npt(assistant, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "npt"), *arguments], cwd=PROJECT_DIR,
                          env={**os.environ, **assistant.env_used}, capture_output=True,
                          text=True, timeout=120)


def new_organisation(assistant, kind: str = "La Poste", commune: str = "Saint-Denis",
                     name: str | None = None) -> tuple[int, str, str]:
    """A new organisation: (its id, its name, its code as printed once)."""
    name = name or f"{kind} {commune} {uuid.uuid4().hex[:6]}"
    done = npt(assistant, "organisations", "create", name, "--kind", kind, "--commune", commune)
    assert done.returncode == 0, done.stderr
    code = re.search(r"code: ([A-Z0-9]{10})", done.stdout).group(1)
    [(organisation_id,)] = rows(assistant.db_url, "select id from organisations where name = ?", name)
    return organisation_id, name, code


def revoke(assistant, code: str) -> None:
    done = npt(assistant, "organisations", "revoke", code)
    assert done.returncode == 0, done.stderr
