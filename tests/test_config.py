"""Settings come from config.json, overridden by SOLO_UNICORN_ variables; errors are one line."""

from __future__ import annotations

import json
import re

import pytest

from solo_unicorn_tui.config import load_settings, save_settings
from solo_unicorn_tui.errors import ConfigError
from solo_unicorn_tui.home import Home


def test_defaults_then_file_then_environment(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    home.ensure()
    assert load_settings(home).theme == "textual-dark"
    home.config_file.write_text(json.dumps({"theme": "nord", "worktree_idle_days": 3}))
    assert load_settings(home).theme == "nord"
    monkeypatch.setenv("SOLO_UNICORN_THEME", "gruvbox")
    monkeypatch.setenv("SOLO_UNICORN_NOTIFICATIONS__BELL", "false")
    settings = load_settings(home)
    assert (settings.theme, settings.worktree_idle_days) == ("gruvbox", 3)
    assert settings.notifications.bell is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"theme": ', "is not valid JSON (line 1"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"sync_interval_seconds": -5}', "'sync_interval_seconds' is invalid"),
        ('{"server_url": "postgresql://u:secret@host/db"}', "must not contain a password"),
    ],
)
def test_malformed_config_names_the_problem(home: Home, text: str, message: str) -> None:
    home.ensure()
    home.config_file.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        load_settings(home)
    assert "\n" not in str(caught.value)
    assert "secret" not in str(caught.value)


def test_save_settings_keeps_other_keys(home: Home) -> None:
    home.ensure()
    home.config_file.write_text(json.dumps({"theme": "nord"}))
    save_settings(home, {"server_url": "postgresql://team@db.example/board"})
    saved = json.loads(home.config_file.read_text())
    assert saved == {"theme": "nord", "server_url": "postgresql://team@db.example/board"}
