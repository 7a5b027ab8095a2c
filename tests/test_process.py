"""The real process: ``python -m bot`` started, made ready, stopped by a signal.

Polling and webhook mode each run as a subprocess against the Bot API stand-in; SIGTERM
(and Ctrl-C, SIGINT) must end them cleanly within 10 seconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from bot.standin import BotApiStandIn
from tests.conftest import TEST_TOKEN

pytestmark = pytest.mark.e2e

STOP_WITHIN_SECONDS = 10.0
READY_WITHIN_SECONDS = 60.0


def _env(standin: BotApiStandIn, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "WEBHOOK_", "METRICS_")) and k != "DATABASE_URL"}
    env.update(
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        TELEGRAM_FILE_BASE_URL=standin.base_file_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _start(args: list[str], env: dict[str, str], cwd: Path) -> tuple[asyncio.subprocess.Process, list[str]]:
    """Start the bot and wait for its "ready as @" line; returns the process and its log."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    lines: list[str] = []

    async def wait_ready() -> None:
        while True:
            raw = await process.stdout.readline()
            if not raw:
                raise AssertionError("the bot exited before it was ready:\n" + "".join(lines))
            lines.append(raw.decode(errors="replace"))
            if "ready as @" in lines[-1]:
                return

    try:
        await asyncio.wait_for(wait_ready(), READY_WITHIN_SECONDS)
    except BaseException:
        process.kill()
        await process.wait()
        raise
    return process, lines


async def _stop(process: asyncio.subprocess.Process, sig: int, lines: list[str]) -> int:
    """Send ``sig`` and return the exit code; fail if it takes longer than 10 s."""
    process.send_signal(sig)
    try:
        rest, _ = await asyncio.wait_for(process.communicate(), STOP_WITHIN_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the bot did not stop within {STOP_WITHIN_SECONDS}s") from None
    lines.append(rest.decode(errors="replace"))
    return process.returncode


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
async def test_polling_stops_cleanly_on_a_signal(standin: BotApiStandIn, tmp_path: Path,
                                                 sig: int) -> None:
    metrics_port = _free_port()
    process, lines = await _start([], _env(standin, tmp_path, METRICS_PORT=str(metrics_port)),
                                  tmp_path)
    user = standin.make_user(5151, "Pat")
    await standin.push_update(standin.build_text_update(user, "/start"))
    await standin.wait_for_call(lambda c: c.method == "sendMessage", timeout=20)
    async with httpx.AsyncClient() as client:  # polling mode serves /healthz on METRICS_PORT
        health = await client.get(f"http://127.0.0.1:{metrics_port}/healthz")
    assert health.status_code == 200
    code = await _stop(process, sig, lines)
    log = "".join(lines)
    assert code == 0, log
    assert "Traceback" not in log, log
    assert TEST_TOKEN.split(":")[1] not in log


async def test_webhook_process_refuses_a_request_without_the_secret(standin: BotApiStandIn,
                                                                   tmp_path: Path) -> None:
    port = _free_port()
    env = _env(standin, tmp_path, WEBHOOK_URL=f"http://127.0.0.1:{port}/tg/hook",
               WEBHOOK_SECRET="process-test-secret", WEBHOOK_PORT=str(port),
               WEBHOOK_LISTEN="127.0.0.1")
    process, lines = await _start(["webhook"], env, tmp_path)
    update = standin.build_text_update(standin.make_user(6161, "Kim"), "/start")
    async with httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{port}/tg/hook"
        refused = await client.post(url, json=update)
        accepted = await client.post(url, json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "process-test-secret"})
        health = await client.get(f"http://127.0.0.1:{port}/healthz")
        exposition = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    await standin.wait_for_call(lambda c: c.method == "sendMessage", timeout=20)
    code = await _stop(process, signal.SIGTERM, lines)
    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert health.status_code == 200
    assert 'cramp_webhook_refused_total{reason="missing_secret"} 1.0' in exposition
    assert standin.webhook_url == f"http://127.0.0.1:{port}/tg/hook"
    assert code == 0, "".join(lines)
