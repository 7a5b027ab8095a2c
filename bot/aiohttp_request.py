"""Bot API requests over aiohttp: PTB's ``BaseRequest`` with a cheaper HTTP client.

Every reply the bot sends is one HTTP request. With PTB's default ``HTTPXRequest`` a request
costs about 1 ms of CPU in httpx/httpcore (client layers, h11, anyio); aiohttp's client,
with its C HTTP parser, does the same for about 0.3 ms (docs/performance.md). This class
speaks to ``BaseRequest`` exactly as ``HTTPXRequest`` does: same defaults (5 s connect,
read and write, 1 s pool, 20 s media write), same errors (``TimedOut``, ``NetworkError``),
multipart when a file is attached, a keep-alive connection pool. Other requests go
form-encoded, the same bytes PTB's HTTPXRequest puts on the wire.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one ``aiohttp.ClientSession`` (created in ``initialize``)."""

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self.connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connection_pool_size, limit_per_host=0,
                                             ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=None), auto_decompress=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, read: ODVInput[float], write: ODVInput[float], connect: ODVInput[float],
                 pool: ODVInput[float], has_files: bool) -> aiohttp.ClientTimeout:
        """PTB's four timeouts in aiohttp's terms (``connect`` covers waiting for the pool)."""
        read_s = self._read_timeout if isinstance(read, DefaultValue) else read
        write_s = ((self._media_write_timeout if has_files else self._write_timeout)
                   if isinstance(write, DefaultValue) else write)
        connect_s = self._connect_timeout if isinstance(connect, DefaultValue) else connect
        pool_s = self._pool_timeout if isinstance(pool, DefaultValue) else pool
        waiting = None if connect_s is None or pool_s is None else connect_s + pool_s
        # aiohttp has no write timeout of its own. A small body fits the socket buffer at
        # once; an upload is bounded as a whole: connecting, writing and reading the answer.
        total = None
        if has_files and None not in (write_s, read_s, waiting):
            total = write_s + read_s + waiting  # type: ignore[operator]
        return aiohttp.ClientTimeout(total=total, connect=waiting, sock_connect=connect_s,
                                     sock_read=read_s)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return (status, body). Timeouts -> TimedOut, else NetworkError."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        has_files = bool(request_data and request_data.contains_files)
        data: Any = None
        headers = None
        if request_data is not None and has_files:
            data = _form(request_data)
        elif request_data is not None and request_data.parameters:
            # Form-encoded, exactly what PTB's own HTTPXRequest sends, so every Bot API server
            # (Telegram's, a self-hosted one, an emulator) reads it the same way.
            data = request_data.json_parameters
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout,
                                has_files)
        try:
            async with self._session.request(method, url, data=data, headers=headers,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _form(request_data: RequestData) -> aiohttp.FormData:
    """Parameters and files as multipart/form-data."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in request_data.multipart_data.items():
        filename, content, *rest = part
        form.add_field(name, content, filename=filename,
                       content_type=rest[0] if rest else "application/octet-stream")
    return form
