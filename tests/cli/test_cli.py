"""`npt`, the operators' command line: precise errors, useful output."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.cli import main


def test_db_upgrade_creates_the_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["db", "upgrade", "--url", url]) == 0
    from bot.db.session import head_revision

    assert f"revision {head_revision()}" in capsys.readouterr().out


def test_grid_check_accepts_the_shipped_grid(capsys):
    assert main(["grid", "check"]) == 0
    assert "10 questions" in capsys.readouterr().out


def test_grid_check_names_the_fault(tmp_path, capsys):
    broken = tmp_path / "grid.yml"
    broken.write_text("version: '1'\nquestions: []\n", encoding="utf-8")
    assert main(["grid", "check", str(broken)]) == 2
    assert "needs questions" in capsys.readouterr().err


def test_diagnostic_evaluate_prints_the_result(capsys):
    code = main(["diagnostic", "evaluate", "equipement=4", "connexion=3", "usage=3",
                 "besoin=6", "contrainte=1"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["level"] == "exclu"
    assert "Acquisition de matériel informatique à prix solidaire" in result["services"]
    assert result["message"].startswith("Merci")


def test_diagnostic_evaluate_refuses_bad_arguments(capsys):
    assert main(["diagnostic", "evaluate", "usage"]) == 2
    assert "is not QUESTION=OPTION" in capsys.readouterr().err
    assert main(["diagnostic", "evaluate", "usage=9"]) == 2
    assert "usage: option 9 does not exist" in capsys.readouterr().err


def test_npt_entry_point_is_installed():
    npt = subprocess.run([str(Path(sys.executable).parent / "npt"), "--help"], capture_output=True, text=True)
    assert npt.returncode == 0 and "db" in npt.stdout and "diagnostic" in npt.stdout
