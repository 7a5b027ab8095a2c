"""Deploy files name only variables the bot knows, and say what they must.

Docker is not available where these tests run, so the images are not built here; these
tests read the files: every variable the bot containers get and every name in .env.example
is a field of ``Settings`` (a typo or a stale name fails), plus two names that configure
other containers (the database password and the proxy's domain).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SETTINGS = {name.upper() for name in Settings.model_fields}
# Read by docker compose for other containers, never by the bot.
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "PROXY_DOMAIN"}
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _our_services(compose: dict) -> dict[str, dict]:
    return {name: service for name, service in compose["services"].items()
            if "build" in service or str(service.get("image", "")).startswith("cramp-companion")}


def test_bot_containers_get_only_settings_variables(compose: dict) -> None:
    ours = _our_services(compose)
    assert set(ours) == {"bot", "migrate"}
    for name, service in ours.items():
        unknown = set(service["environment"]) - SETTINGS
        assert not unknown, f"{name} sets variables Settings does not know: {sorted(unknown)}"


def test_compose_interpolates_only_known_variables() -> None:
    used = set(_INTERPOLATION.findall((DEPLOY / "compose.yaml").read_text()))
    assert {"TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "POSTGRES_PASSWORD"} <= used
    assert used - SETTINGS <= COMPOSE_ONLY, sorted(used - SETTINGS - COMPOSE_ONLY)
    caddy = set(re.findall(r"\{\$([A-Z_]+)", (DEPLOY / "Caddyfile").read_text()))
    assert caddy <= COMPOSE_ONLY


def test_env_example_names_every_setting_and_nothing_else() -> None:
    text = (ROOT / ".env.example").read_text()
    named = set(_ENV_LINE.findall(text))
    assert named - SETTINGS <= COMPOSE_ONLY, sorted(named - SETTINGS - COMPOSE_ONLY)
    missing = SETTINGS - named
    assert not missing, f"not documented in .env.example: {sorted(missing)}"


def test_env_example_as_copied_is_a_valid_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=ROOT / ".env.example")
    assert settings.is_sqlite and settings.webhook_url is None and settings.metrics_port is None


def test_compose_shape(compose: dict) -> None:
    services = compose["services"]
    db = services["db"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    bot = services["bot"]
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert bot["deploy"]["replicas"] == "${INSTANCE_COUNT:-2}"
    assert bot["environment"]["INSTANCE_COUNT"] == "${INSTANCE_COUNT:-2}"
    # Secrets are required from the environment, never written into the file.
    for secret in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET"):
        assert bot["environment"][secret].startswith(f"${{{secret}:?")


def test_dockerfile_is_slim_non_root_with_a_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*", text, re.MULTILINE)
    assert "/healthz" in text
    env_names = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", text))
    assert env_names - {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
                        "PIP_DISABLE_PIP_VERSION_CHECK"} <= SETTINGS


def test_systemd_unit_runs_the_bot_unprivileged_and_stops_it_with_sigterm() -> None:
    text = (DEPLOY / "cramp-bot.service").read_text()
    assert re.search(r"^ExecStart=\S+/python -m bot$", text, re.MULTILINE)
    assert re.search(r"^User=cramp$", text, re.MULTILINE)
    assert re.search(r"^KillSignal=SIGTERM$", text, re.MULTILINE)
    assert re.search(r"^NoNewPrivileges=yes$", text, re.MULTILINE)
