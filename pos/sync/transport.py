"""Bounded HTTP requests for the PrestaShop client: a size cap and a deadline for the whole request.

``requests`` bounds each socket operation (connect, each read), not a request: a server that drips
one byte every few seconds keeps a request alive forever, and a huge answer is read whole into
memory.  ``fetch``:

- reads the body in chunks and stops as soon as it exceeds ``max_bytes`` (a ``Content-Length``
  above it is refused before reading), so memory stays bounded whatever the shop sends;
- gives the whole request (connection, headers, body) a deadline: a watchdog shuts the
  connection's socket down when it passes, which ends a read blocked on a dripping server at once.

The sockets are known through the session's adapter (``bounded_session``): each connection it
opens registers its socket, so the watchdog can reach the one in use (and closes the idle ones
with it, which are simply opened again).
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK = 64 * 1024


class TooLarge(Exception):
    """The answer is larger than the cap (``size``: what was announced or read so far)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class DeadlinePassed(Exception):
    """The request did not complete before its deadline."""


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str

    @property
    def status_code(self) -> int:  # as a ``requests.Response`` names it
        return self.status


def _tracked_pool(base: type[HTTPConnectionPool], sockets: weakref.WeakSet) -> type[HTTPConnectionPool]:
    connection_class: Any = base.ConnectionCls

    def connect(self: Any) -> None:
        connection_class.connect(self)
        if self.sock is not None:
            sockets.add(self.sock)

    tracked = type("Tracked" + connection_class.__name__, (connection_class,), {"connect": connect})
    return type("Tracked" + base.__name__, (base,), {"ConnectionCls": tracked})


class _TrackingAdapter(HTTPAdapter):
    """An adapter whose connections register their sockets (for the watchdog)."""

    def __init__(self, sockets: weakref.WeakSet, **kwargs: Any) -> None:
        self.sockets = sockets
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {  # a copy: urllib3's module-level dict stays as it is
            "http": _tracked_pool(HTTPConnectionPool, self.sockets),
            "https": _tracked_pool(HTTPSConnectionPool, self.sockets),
        }


def bounded_session(session: requests.Session | None = None) -> tuple[requests.Session, weakref.WeakSet]:
    """``session`` (or a new one) with adapters whose sockets the watchdog can shut down."""
    session = session or requests.Session()
    sockets: weakref.WeakSet = weakref.WeakSet()
    for prefix in ("http://", "https://"):
        session.mount(prefix, _TrackingAdapter(sockets))
    return session, sockets


def _shut_down(sockets: weakref.WeakSet) -> None:
    for sock in list(sockets):
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a recv() blocked in another thread (close() does not)
        except OSError:
            pass


def fetch(session: requests.Session, sockets: weakref.WeakSet, method: str, url: str, *, deadline: float,
          max_bytes: int, timeout: float | tuple[float, float], **kwargs: Any) -> Answer:
    """One request, finished before ``deadline`` (``time.monotonic()``) with at most ``max_bytes`` of body.

    Raises ``DeadlinePassed``, ``TooLarge``, or what ``requests`` raises."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlinePassed()
    fired = threading.Event()

    def watchdog() -> None:
        fired.set()
        _shut_down(sockets)

    timer = threading.Timer(left, watchdog)
    timer.daemon = True
    timer.start()
    resp: requests.Response | None = None
    try:
        resp = session.request(method, url, timeout=_capped(timeout, left), stream=True, **kwargs)
        announced = resp.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > max_bytes:
            raise TooLarge(int(announced))
        body = bytearray()
        for chunk in resp.iter_content(CHUNK):
            body += chunk
            if len(body) > max_bytes:
                raise TooLarge(len(body))
            if fired.is_set():
                raise DeadlinePassed()
        if fired.is_set():
            raise DeadlinePassed()
        return Answer(resp.status_code, resp.headers, bytes(body), resp.url)
    except (requests.RequestException, OSError):
        if fired.is_set():
            raise DeadlinePassed() from None
        raise
    finally:
        timer.cancel()
        if resp is not None:
            resp.close()


def _capped(timeout: float | tuple[float, float], left: float) -> tuple[float, float]:
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return min(connect, left), min(read, left)
