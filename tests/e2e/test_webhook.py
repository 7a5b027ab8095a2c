"""Webhook mode end to end: the secret token, /healthz, /metrics, through real HTTP."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import build_application
from bot.config import Settings
from bot.db import Database
from bot.standin import BotApiStandIn
from bot.webhook import SECRET_HEADER, WebhookConfigError, WebhookServer, webhook_config
from tests.conftest import TEST_TOKEN

pytestmark = pytest.mark.e2e

SECRET = "correct-horse_battery-staple"
WEBHOOK_URL = "https://bot.example.com/telegram/hook"


@pytest.fixture
def webhook_settings(sqlite_url: str, settings: Settings) -> Settings:
    return Settings(_env_file=None, database_url=sqlite_url, telegram_bot_token=TEST_TOKEN,
                    webhook_url=WEBHOOK_URL, webhook_secret=SECRET)


@pytest.fixture
async def server(webhook_settings: Settings, db: Database,
                 standin: BotApiStandIn) -> AsyncIterator[WebhookServer]:
    application = build_application(webhook_settings, db=db, base_url=standin.base_url,
                                    base_file_url=standin.base_file_url,
                                    start_background_jobs=False)
    config = dataclasses.replace(webhook_config(webhook_settings), port=0)  # a free port
    webhook = WebhookServer(application, config)
    await webhook.start()
    yield webhook
    await webhook.stop()


def _update(standin: BotApiStandIn, text: str = "/start") -> bytes:
    user = standin.make_user(4242, "Webby")
    return json.dumps(standin.build_text_update(user, text)).encode()


async def _post(server: WebhookServer, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"http://127.0.0.1:{server.port}/telegram/hook", content=body,
                                 headers={"Content-Type": "application/json", **headers})


async def _get(server: WebhookServer, path: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"http://127.0.0.1:{server.port}{path}")


async def test_registers_the_webhook_with_its_secret(server: WebhookServer,
                                                     standin: BotApiStandIn) -> None:
    call = standin.calls_to("setWebhook")[-1]
    assert call.params["url"] == WEBHOOK_URL
    assert call.params["secret_token"] == SECRET
    assert standin.webhook_url == WEBHOOK_URL


async def test_requests_without_or_with_a_wrong_secret_are_refused_and_counted(
    server: WebhookServer, standin: BotApiStandIn
) -> None:
    before = len(standin.calls)
    missing = await _post(server, _update(standin), {})
    wrong = await _post(server, _update(standin), {SECRET_HEADER: "not-the-secret"})
    not_json = await _post(server, b"x", {SECRET_HEADER: SECRET, "Content-Type": "text/plain"})
    assert (missing.status_code, wrong.status_code, not_json.status_code) == (403, 403, 403)
    counters = server.application.bot_data.services.extras["metrics"]
    assert counters.value("cramp_webhook_refused_total", reason="missing_secret") == 1
    assert counters.value("cramp_webhook_refused_total", reason="wrong_secret") == 1
    assert counters.value("cramp_webhook_refused_total", reason="bad_content_type") == 1
    exposition = (await _get(server, "/metrics")).text
    assert 'cramp_webhook_refused_total{reason="missing_secret"} 1.0' in exposition
    assert 'cramp_webhook_refused_total{reason="wrong_secret"} 1.0' in exposition
    # Nothing reached the bot: no reply was sent.
    assert standin.calls_to("sendMessage", since=before) == []


async def test_a_request_with_the_secret_is_handled(server: WebhookServer,
                                                   standin: BotApiStandIn) -> None:
    before = len(standin.calls)
    response = await _post(server, _update(standin, "/start"), {SECRET_HEADER: SECRET})
    assert response.status_code == 200
    reply = await standin.wait_for_call(
        lambda c: c.method == "sendMessage" and c.params.get("chat_id") == 4242, since=before
    )
    assert "Hi Webby" in reply.result["text"]


async def test_healthz_follows_the_database(server: WebhookServer, db: Database,
                                            tmp_path) -> None:
    healthy = await _get(server, "/healthz")
    assert healthy.status_code == 200
    assert healthy.json() == {"status": "ok", "database": "reachable"}
    services = server.application.bot_data.services
    working = services.db
    (tmp_path / "not-a-folder").write_text("a file where a folder should be")
    broken = Database(create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/not-a-folder/x.db"))
    services.db = broken
    try:
        down = await _get(server, "/healthz")
    finally:
        services.db = working
        await broken.dispose()
    assert down.status_code == 503
    assert down.json()["database"] == "unreachable"
    assert (await _get(server, "/healthz")).status_code == 200


async def test_metrics_expose_handlers_users_and_reminders(server: WebhookServer,
                                                          standin: BotApiStandIn) -> None:
    await _post(server, _update(standin, "/start"), {SECRET_HEADER: SECRET})
    await standin.wait_for_call(lambda c: c.method == "sendMessage")
    response = await _get(server, "/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.text
    assert 'cramp_updates_total{handler="start.start"} 1.0' in text
    assert 'cramp_handler_seconds_count{handler="start.start"} 1.0' in text
    assert 'cramp_handler_seconds_bucket{handler="start.start",le="10.0"} 1.0' in text
    assert 'cramp_users{state="active"} 1.0' in text
    assert 'cramp_users{state="blocked"} 0.0' in text
    for outcome in ("sent", "failed", "skipped"):
        assert f'cramp_reminders_total{{outcome="{outcome}"}}' in text
    assert "cramp_database_up 1.0" in text


def test_config_refuses_what_cannot_work(sqlite_url: str, settings: Settings) -> None:
    base = {"_env_file": None, "database_url": sqlite_url, "telegram_bot_token": TEST_TOKEN}
    with pytest.raises(WebhookConfigError, match="WEBHOOK_URL"):
        webhook_config(Settings(**base))
    with pytest.raises(WebhookConfigError, match="WEBHOOK_SECRET"):
        webhook_config(Settings(**base, webhook_url=WEBHOOK_URL, webhook_secret="has spaces"))
    with pytest.raises(WebhookConfigError, match="every replica"):
        webhook_config(Settings(**base, webhook_url=WEBHOOK_URL, instance_count=3))
    single = webhook_config(Settings(**base, webhook_url=WEBHOOK_URL))
    assert len(single.secret) >= 32 and single.path == "/telegram/hook"
    moved = webhook_config(Settings(**base, webhook_url=WEBHOOK_URL, webhook_secret=SECRET,
                                    metrics_port=9100))
    assert moved.serve_monitoring is False
