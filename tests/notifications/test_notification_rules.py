"""data/notifications.yml: the reminder's time, retries and texts, checked with the setting named."""
from __future__ import annotations

from datetime import time

import pytest

from bot.notifications.rules import NotificationRulesError, notification_rules, parse_rules


def test_the_shipped_file_gives_the_reminder_at_18_the_day_before():
    rules = notification_rules()
    assert (rules.reminder_days_before, rules.reminder_hour) == (1, time(18, 0))
    assert rules.reminder_text.startswith("{greeting}, rappel de votre rendez-vous {when}")


@pytest.mark.parametrize("raw, fault", [
    ({"reminder_hour": "18h"}, "reminder_hour must be HH:MM, not '18h'"),
    ({"reminder_max_attempts": 0}, "reminder_max_attempts must be a number >= 1, not 0"),
    ({"reminder_days_before": True}, "reminder_days_before must be a number >= 0, not True"),
])
def test_a_wrong_setting_is_named(raw, fault):
    with pytest.raises(NotificationRulesError) as error:
        parse_rules(raw, "notifications.yml")
    assert str(error.value) == f"notifications.yml: {fault}"


def test_a_file_that_cannot_be_read_is_named(tmp_path):
    from bot.yaml_data import read_settings

    broken = tmp_path / "notifications.yml"
    broken.write_text("reminder_hour: [18", encoding="utf-8")
    for path in (tmp_path / "missing.yml", broken):
        with pytest.raises(NotificationRulesError, match=f"^{path}: cannot be read: "):
            read_settings(path, NotificationRulesError)
