"""The deployment files say only true things: every command exists, every setting is one papertide reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.config import Settings

yaml = pytest.importorskip("yaml")
DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def test_every_compose_command_is_a_papertide_command() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    commands = [service["command"] for service in services.values() if "command" in service]
    assert len(commands) == 3
    for command in commands:
        assert command[0] == "papertide"
        result = CliRunner().invoke(app, [*command[1:], "--help"])
        assert result.exit_code == 0, (command, result.output)


def test_every_variable_in_the_example_environment_is_a_setting() -> None:
    names = [
        line.split("=", 1)[0]
        for line in (DEPLOY / "papertide.env.example").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    known = {f"PAPERTIDE_{field.upper()}" for field in Settings.model_fields}
    assert names and set(names) <= known, set(names) - known
