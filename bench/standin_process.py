"""Run the Bot API stand-in in its own process and stream every recorded call to stdout.

Used by ``bench/update_path.py`` so the stand-in's CPU (tornado, JSON, HTML checks) is not
charged to the bot process being measured. Protocol, one line each on stdout:

* ``PORT <n>`` once, when listening;
* then one JSON array per Bot API call the bot made:
  ``[at, method, key, message]`` where ``at`` is ``time.monotonic()`` when the request
  arrived (CLOCK_MONOTONIC is system-wide on Linux, so it compares with the parent's clock),
  ``key`` is the chat id, or ``"cq:<id>"`` for answerCallbackQuery, and ``message`` is the
  stored message (with its current buttons) when the call left an inline keyboard, else null.

``--rtt-ms`` delays every answer, to emulate the network between a bot and Telegram.
The process stops on SIGTERM or when its stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.standin import BotApiStandIn, Call


def event_line(call: Call) -> str:
    """The JSON line describing one recorded call."""
    params = call.params
    if "chat_id" in params:
        key: object = params["chat_id"]
    elif "callback_query_id" in params:
        key = f"cq:{params['callback_query_id']}"
    else:
        key = None
    result = call.result
    message = result if isinstance(result, dict) and "reply_markup" in result else None
    return json.dumps([call.at, call.method, key, message], separators=(",", ":")) + "\n"


def add_latency(standin: BotApiStandIn, rtt_ms: float) -> None:
    """Answer every call ``rtt_ms`` later: half on the way in, half on the way out, as a
    network between the bot and Telegram would (the call is timestamped on arrival)."""
    half = rtt_ms / 2000
    handle = standin.handle

    async def delayed(*args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        await asyncio.sleep(half)
        answer = await handle(*args, **kwargs)
        await asyncio.sleep(half)
        return answer

    standin.handle = delayed  # type: ignore[method-assign]


async def serve(rtt_ms: float) -> None:
    standin = await BotApiStandIn().start()
    if rtt_ms > 0:
        add_latency(standin, rtt_ms)
    out = sys.stdout

    def emit(call: Call) -> None:
        out.write(event_line(call))
        out.flush()

    standin.on_call.append(emit)
    out.write(f"PORT {standin.port}\n")
    out.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.buffer.read1(1) else None)
    await stop.wait()
    await standin.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the Bot API stand-in, streaming its calls")
    parser.add_argument("--rtt-ms", type=float, default=0.0, help="emulated network round trip")
    asyncio.run(serve(parser.parse_args().rtt_ms))
