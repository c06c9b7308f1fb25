"""The deployment files say only true things: every command exists, every setting is one papertide reads."""

from __future__ import annotations

import json
import re
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


def scraped_names(tmp_path: Path) -> set[str]:
    """Every sample name a real scrape of a fresh instance can hold, parsed by prometheus_client's parser."""
    from fastapi.testclient import TestClient
    from prometheus_client.parser import text_string_to_metric_families

    from papertide.config import load_settings
    from papertide.web.app import create_app

    with TestClient(create_app(load_settings(data_dir=tmp_path)), client=("127.0.0.1", 50000)) as client:
        client.get("/api/v1/search", params={"q": "anything"})
        answer = client.get("/metrics")
    assert answer.status_code == 200
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    return {
        family.name + suffix
        for family in text_string_to_metric_families(answer.text)
        for suffix in suffixes.get(family.type, ("",))
    }


def test_the_dashboard_asks_only_for_metrics_a_scrape_holds(tmp_path: Path) -> None:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    asked = {name for expr in expressions for name in re.findall(r"\bpapertide_[a-z_]+", expr)}
    names = scraped_names(tmp_path)
    assert len(asked) >= 15 and asked <= names, sorted(asked - names)
    assert {"papertide_index_lag", "papertide_outbox_messages", "papertide_job_runs_total"} <= asked


def test_the_prometheus_config_scrapes_the_web_nodes_and_the_workers_with_the_token() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"papertide-web", "papertide-worker"}
    environment = dict(
        line.split("=", 1)
        for line in (DEPLOY / "papertide.env.example").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert environment["PAPERTIDE_METRICS_ACCESS"] == "token"
    ports = {job["dns_sd_configs"][0]["port"] for job in jobs.values()}
    assert ports == {8000, int(environment["PAPERTIDE_WORKER_METRICS_PORT"])}
    for job in jobs.values():
        assert job["metrics_path"] == "/metrics"
        assert job["authorization"]["type"] == "Bearer" and job["authorization"]["credentials_file"]
