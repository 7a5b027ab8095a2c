"""``/healthz`` and ``/metrics`` over HTTP (tornado, the server python-telegram-bot ships).

Served on ``METRICS_PORT`` when it is set (in polling and webhook mode alike), and on the
webhook port otherwise. ``/healthz`` answers 200 when the database answers, 503 when not.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from bot import metrics

if TYPE_CHECKING:
    from bot.app import CrampApplication, Services

log = logging.getLogger(__name__)

PING_TIMEOUT_SECONDS = 5.0
SERVER_KEY = "monitoring_server"


class _QuietHandler(tornado.web.RequestHandler):
    """No request lines in the log (they are noise, and webhook paths may be secret)."""

    def initialize(self, services: Services) -> None:
        self.services = services

    def check_xsrf_cookie(self) -> None:
        return None


class HealthHandler(_QuietHandler):
    """GET /healthz: 200 if the database answers, 503 if it does not."""

    async def get(self) -> None:
        try:
            reachable = await asyncio.wait_for(self.services.db.ping(), PING_TIMEOUT_SECONDS)
        except TimeoutError:
            reachable = False
        self.set_status(200 if reachable else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"status": "ok" if reachable else "unavailable",
                                "database": "reachable" if reachable else "unreachable"}))


class MetricsHandler(_QuietHandler):
    """GET /metrics: the Prometheus text exposition of this instance."""

    async def get(self) -> None:
        body = await metrics.render(self.services)
        self.set_header("Content-Type", metrics.CONTENT_TYPE)
        self.set_header("Cache-Control", "no-store")
        self.finish(body)


def routes(services: Services) -> list[Any]:
    """The monitoring routes, to add to a tornado application."""
    return [
        (r"/healthz", HealthHandler, {"services": services}),
        (r"/metrics", MetricsHandler, {"services": services}),
    ]


def quiet_log(_handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log, switched off."""


class HttpServer:
    """A tornado HTTP server on a given address and port (0 picks a free port)."""

    def __init__(self, app: tornado.web.Application, listen: str, port: int,
                 max_body_size: int = 64 * 1024) -> None:
        self.app = app
        self.listen = listen
        self.port = port
        self.max_body_size = max_body_size
        self._server: tornado.httpserver.HTTPServer | None = None

    def start(self) -> HttpServer:
        sockets = tornado.netutil.bind_sockets(self.port, self.listen)
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(self.app, xheaders=True,
                                                     max_body_size=self.max_body_size)
        self._server.add_sockets(sockets)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None


async def start(application: CrampApplication) -> HttpServer | None:
    """Serve /healthz and /metrics on METRICS_PORT, if it is set."""
    services = application.bot_data.services
    settings = services.settings
    if settings.metrics_port is None or services.extras.get(SERVER_KEY) is not None:
        return None
    app = tornado.web.Application(routes(services), log_function=quiet_log)
    server = HttpServer(app, settings.metrics_listen, settings.metrics_port).start()
    services.extras[SERVER_KEY] = server
    log.info("health and metrics on %s:%s (/healthz, /metrics)", server.listen, server.port)
    return server


async def stop(application: CrampApplication) -> None:
    """Stop the monitoring server, if one runs."""
    server = application.bot_data.services.extras.pop(SERVER_KEY, None)
    if server is not None:
        await server.stop()
