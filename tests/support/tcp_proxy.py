"""A fault-injecting TCP proxy for tests: one port on 127.0.0.1 forwarding to a target.

Each accepted client gets its own upstream connection (a :class:`ProxiedConnection`) that the
test can slow down, freeze or cut:

- ``delay``: every chunk waits this long before it is forwarded (both directions);
- ``freeze()``: nothing is forwarded either way, but both sockets stay open — what a client sees
  when its network partitions without a reset (the peer's kernel keeps the connection); chunks
  already read are held and delivered in order after ``thaw()``; because the proxy stops
  reading, TCP flow control pushes back on the sender;
- ``cut()``: both sides are closed with a reset (``SO_LINGER 0``), like a crashed router or a
  killed server; ``cut(reset=False)`` closes them cleanly instead.

:class:`FaultProxy` applies the same to every connection (``freeze_all``, ``thaw_all``,
``cut_all``), and ``partition()`` / ``heal()`` also freeze connections accepted meanwhile.

    async with FaultProxy("127.0.0.1", 5432) as proxy:
        conn = await asyncpg.connect(proxy.url_for(pg_url))
        proxy.freeze_all()
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import struct
from collections.abc import Callable
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

CHUNK = 65536


def _reset_on_close(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class ProxiedConnection:
    """One client connection and its upstream connection, with its own fault controls."""

    def __init__(
        self,
        ident: int,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        delay: float,
        frozen: bool,
        on_change: Callable[[], None],
    ) -> None:
        self.id = ident
        self.delay = delay
        self.bytes_up = 0  # client → target
        self.bytes_down = 0  # target → client
        #: Chunks read while frozen, waiting to be forwarded (a test can wait for this).
        self.held = 0
        self.closed = False
        self._client, self._upstream = client, upstream
        self._flowing = asyncio.Event()
        if not frozen:
            self._flowing.set()
        self._on_change = on_change
        self._tasks = [
            asyncio.create_task(self._pump(client[0], upstream[1], "up")),
            asyncio.create_task(self._pump(upstream[0], client[1], "down")),
        ]

    @property
    def frozen(self) -> bool:
        return not self._flowing.is_set()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def cut(self, *, reset: bool = True) -> None:
        """Close both sides now (with a TCP reset unless ``reset=False``)."""
        if self.closed:
            return
        self.closed = True
        for task in self._tasks:
            task.cancel()
        for _, writer in (self._client, self._upstream):
            if reset:
                _reset_on_close(writer)
                writer.transport.abort()
            else:
                writer.close()
        self._on_change()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str
    ) -> None:
        try:
            while True:
                # While frozen at most one chunk per direction is read and held; the rest waits
                # in the kernel's buffers, so the sender sees a stalled connection.
                data = await reader.read(CHUNK)
                if not data:
                    break
                if not self._flowing.is_set():
                    self.held += 1
                    self._on_change()
                    await self._flowing.wait()
                    self.held -= 1
                if self.delay > 0:
                    await asyncio.sleep(self.delay)
                    await self._flowing.wait()
                writer.write(data)
                await writer.drain()
                if direction == "up":
                    self.bytes_up += len(data)
                else:
                    self.bytes_down += len(data)
                self._on_change()
        except (ConnectionError, OSError):
            pass
        finally:
            if not self.closed:
                # One side ended: end the other cleanly too, as a plain forwarder would.
                self.closed = True
                for _, other in (self._client, self._upstream):
                    other.close()
                self._on_change()


class FaultProxy:
    """Listens on 127.0.0.1 (a free port) and forwards each connection to ``target``."""

    def __init__(self, target_host: str, target_port: int, *, delay: float = 0.0) -> None:
        self.target = (target_host, target_port)
        self.delay = delay
        self.connections: list[ProxiedConnection] = []
        self.port = 0
        self._freeze_new = False
        self._server: asyncio.Server | None = None
        self._ids = itertools.count(1)
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        self.cut_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def url_for(self, url: str) -> str:
        """``url`` (``postgresql://user@host:port/db?…``) pointed at this proxy instead."""
        parts = urlsplit(url)
        user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{self.port}"))

    @property
    def live(self) -> list[ProxiedConnection]:
        return [c for c in self.connections if not c.closed]

    def set_delay(self, seconds: float) -> None:
        """Delay every chunk of every connection, current and new, by ``seconds``."""
        self.delay = seconds
        for conn in self.connections:
            conn.delay = seconds

    def freeze_all(self) -> None:
        for conn in self.connections:
            conn.freeze()

    def thaw_all(self) -> None:
        for conn in self.connections:
            conn.thaw()

    def cut_all(self, *, reset: bool = True) -> None:
        for conn in list(self.connections):
            conn.cut(reset=reset)

    def partition(self) -> None:
        """Freeze every connection, and every one accepted until :meth:`heal`."""
        self._freeze_new = True
        self.freeze_all()

    def heal(self) -> None:
        self._freeze_new = False
        self.thaw_all()

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``condition()`` holds (checked whenever a connection moves or holds data,
        opens or closes); :class:`TimeoutError` after ``timeout`` seconds."""
        if condition():
            return
        waiter = (condition, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter[1], timeout)
        finally:
            self._waiters.remove(waiter)

    def _notify(self) -> None:
        for condition, future in self._waiters:
            if not future.done() and condition():
                future.set_result(None)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream = await asyncio.open_connection(*self.target)
        except OSError:
            _reset_on_close(writer)
            writer.transport.abort()
            return
        conn = ProxiedConnection(
            next(self._ids),
            (reader, writer),
            upstream,
            self.delay,
            self._freeze_new,
            self._notify,
        )
        self.connections.append(conn)
        self._notify()
