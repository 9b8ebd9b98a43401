"""Virtual ESC/POS printers for the tests: a TCP "network printer" on 127.0.0.1 and a
serial printer on a pseudo-terminal pair.

Both read the byte stream command by command (``escpos_decoder.next_command``), so a
status query is recognised only where a command starts (never inside image data),
and answer DLE EOT 1/2/4 with the configured status bytes.

    with VirtualNetworkPrinter() as vp:
        EscposPrinter(vp.url).print_ticket(ticket, settings)
        job = vp.wait_job()          # the bytes of the first connection
        decode(job).lines

Faults: ``paper_out()``, ``cover_open()``, ``offline()``; ``answer_status=False`` (a
printer that ignores DLE EOT); ``close_after=N`` (drops the connection after N bytes);
``read_delay`` / ``chunk`` (a very slow printer); ``stall=True`` (accepts, never reads).

``jobs`` holds every connection's bytes in the order the connections were made (each
one once it is closed); ``wait_job()`` returns the next one that printed something
(status-only connections are skipped), ``wait_jobs(n)`` the raw list.
"""

from __future__ import annotations

import os
import pty
import select
import socket
import threading
import time
import tty

from helpers.escpos_decoder import next_command

# answers to DLE EOT 1 (printer), 2 (offline cause), 4 (roll paper): fixed bits 0xx1xx10
STATUS_OK = {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}


class _StatusAnswerer:
    """Parses a byte stream incrementally and answers the status queries in it."""

    def __init__(self, owner: VirtualNetworkPrinter | VirtualSerialPrinter) -> None:
        self.owner = owner
        self.pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """The answers due for ``chunk``."""
        self.pending += chunk
        answers = b""
        pos = 0
        while pos < len(self.pending):
            try:
                found = next_command(self.pending, pos)
            except ValueError:  # not ESC/POS: skip the byte, as a printer would
                pos += 1
                continue
            if found is None:
                break
            cmd, end = found
            if cmd.name == "DLE EOT":
                self.owner.queries.append(cmd.raw[2])
                if self.owner.answer_status:
                    answers += bytes([self.owner.status.get(cmd.raw[2], 0x12)])
            pos = end
        self.pending = self.pending[pos:]
        return answers


class _Faults:
    def __init__(self) -> None:
        self.status = dict(STATUS_OK)
        self.answer_status = True
        self.queries: list[int] = []

    def paper_out(self) -> None:
        self.status = {1: 0x16 | 0x08, 2: 0x12 | 0x20, 3: 0x12, 4: 0x12 | 0x60}

    def cover_open(self) -> None:
        self.status = {1: 0x16 | 0x08, 2: 0x12 | 0x04, 3: 0x12, 4: 0x12}

    def offline(self) -> None:
        self.status = {1: 0x16 | 0x08, 2: 0x12, 3: 0x12, 4: 0x12}

    def ok(self) -> None:
        self.status = dict(STATUS_OK)


class VirtualNetworkPrinter(_Faults):
    """A threaded TCP server; each connection's bytes make one job."""

    def __init__(self, *, answer_status: bool = True, close_after: int | None = None, read_delay: float = 0.0,
                 chunk: int = 65536, stall: bool = False) -> None:
        super().__init__()
        self.answer_status = answer_status
        self.close_after = close_after
        self.read_delay = read_delay
        self.chunk = chunk
        self.stall = stall
        self._slots: list[bytes | None] = []  # one per connection, in accept order; None while open
        self._taken = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{self.port}"

    def __enter__(self) -> VirtualNetworkPrinter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        thread = threading.Thread(target=self._accept_loop, name="virtual-printer", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for conn in list(self._conns):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=2)
        self.server.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._cond:
                slot = len(self._slots)
                self._slots.append(None)
            self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn, slot), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket, slot: int) -> None:
        data = bytearray()
        answerer = _StatusAnswerer(self)
        conn.settimeout(0.05)
        try:
            while not self._stop.is_set():
                if self.stall:
                    time.sleep(0.02)
                    continue
                try:
                    chunk = conn.recv(self.chunk)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                if self.close_after is not None and len(data) + len(chunk) >= self.close_after:
                    data += chunk[: self.close_after - len(data)]
                    break  # hang up in the middle of the job
                data += chunk
                answers = answerer.feed(chunk)
                if answers:
                    conn.sendall(answers)
                if self.read_delay:
                    time.sleep(self.read_delay)
        finally:
            conn.close()
            with self._cond:
                self._slots[slot] = bytes(data)
                self._cond.notify_all()

    @property
    def jobs(self) -> list[bytes]:
        """The bytes of the connections, in the order they were made, up to the first one
        still open.  Each connection is served by its own thread, and these threads do not
        finish in order: the thread of a status probe can see its end of stream after the
        next connection, a whole job, was served.  Kept in completion order, the list
        would swap them."""
        with self._cond:
            done = []
            for data in self._slots:
                if data is None:
                    break
                done.append(data)
            return done

    def wait_jobs(self, count: int, timeout: float = 3.0) -> list[bytes]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.jobs) >= count, timeout):
                raise AssertionError(f"{len(self.jobs)} job(s) received, {count} expected")
            return list(self.jobs)

    def wait_job(self, timeout: float = 3.0, *, probes: bool = False) -> bytes:
        """The next job not yet returned by wait_job (the first, then the second...).
        Connections that only asked for the status (``printer.status()``, or a job refused
        for its status) are skipped unless ``probes``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                while self._taken < len(self.jobs):
                    job = self.jobs[self._taken]
                    self._taken += 1
                    if probes or not is_probe(job):
                        return job
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    raise AssertionError(f"{len(self.jobs)} connection(s), no new job within {timeout} s")


def is_probe(data: bytes) -> bool:
    """A connection that printed nothing: only status queries (DLE EOT n), or nothing."""
    pos = 0
    while pos < len(data):
        try:
            found = next_command(data, pos)
        except ValueError:
            return False
        if found is None or found[0].name != "DLE EOT":
            return False
        pos = found[1]
    return True


def closed_port() -> int:
    """A local TCP port where nothing listens."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class VirtualSerialPrinter(_Faults):
    """A printer at the other end of a pseudo-terminal: the till opens ``self.port``
    (the slave) with pyserial; this side reads the master.  All bytes go to ``data``."""

    def __init__(self, *, answer_status: bool = True, reading: bool = True) -> None:
        super().__init__()
        self.answer_status = answer_status
        self.reading = threading.Event()
        if reading:
            self.reading.set()
        self.master, self._slave = pty.openpty()
        tty.setraw(self._slave)  # kept open: the master never sees a hang-up between jobs
        self.port = os.ttyname(self._slave)
        self.data = bytearray()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._answerer = _StatusAnswerer(self)
        self._thread = threading.Thread(target=self._loop, name="virtual-serial-printer", daemon=True)

    @property
    def url(self) -> str:
        return f"serial://{self.port}?baudrate=19200"

    def __enter__(self) -> VirtualSerialPrinter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.reading.set()
        self._thread.join(timeout=2)
        os.close(self.master)
        os.close(self._slave)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self.reading.wait(0.05):
                continue
            ready, _w, _x = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                time.sleep(0.01)
                continue
            with self._cond:  # kept before answering: an answer means "all read"
                self.data += chunk
                self._cond.notify_all()
            answers = self._answerer.feed(chunk)
            if answers:
                os.write(self.master, answers)

    def wait_for(self, predicate, timeout: float = 3.0) -> bytes:
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(bytes(self.data)), timeout):
                raise AssertionError(f"not received in {timeout} s: {bytes(self.data)[-200:]!r}")
            return bytes(self.data)

    def take(self) -> bytes:
        with self._cond:
            out = bytes(self.data)
            self.data.clear()
            return out
