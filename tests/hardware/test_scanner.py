"""Serial scanners on real pseudo-terminal pairs, the keyboard-wedge timing logic and
``pos scanner test``'s diagnostics.  The test writes to the pty master as the scanner would."""

from __future__ import annotations

import fcntl
import io
import os
import queue
import struct
import termios
import threading
import time
import tty
from collections.abc import Callable

import pytest

from pos.hardware.diagnostics import scanner_test
from pos.hardware.scanner import MAX_CODE_LENGTH, SerialScanner, WedgeBuffer
from pos.hardware.urls import DeviceURLError, parse

WAIT = 5.0  # s: generous, for a loaded machine; the tests end as soon as the condition holds


def wait_for(condition: Callable[[], bool], timeout: float = WAIT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.002)


class Pty:
    """A pseudo-terminal pair: the scanner side opens ``name``; the test writes on the master."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.name = os.ttyname(self.slave)
        self.closed = False

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def pending(self) -> int:
        """Bytes written but not read yet by the scanner."""
        return struct.unpack("I", fcntl.ioctl(self.slave, termios.TIOCINQ, b"\0\0\0\0"))[0]

    def drained(self) -> None:
        wait_for(lambda: self.pending() == 0, what="the scanner to read")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.slave)
            os.close(self.master)


class Harness:
    def __init__(self, path: str, suffix: str | None = None, reconnect_delay: float = 0.02) -> None:
        query = f"?baudrate=9600&suffix={suffix}" if suffix else ""
        self.codes: queue.Queue[str] = queue.Queue()
        self.statuses: list[str] = []
        self.scanner = SerialScanner(parse(f"serial://{path}{query}", "scanner"), self.codes.put,
                                     self.statuses.append, reconnect_delay=reconnect_delay)

    def start(self) -> Harness:
        self.scanner.start()
        return self

    def connected(self, times: int = 1) -> None:
        wait_for(lambda: self.statuses.count("connected") >= times, what="connected")

    def next(self) -> str:
        return self.codes.get(timeout=WAIT)

    def no_more(self) -> None:
        assert self.codes.empty(), f"unexpected scans: {list(self.codes.queue)}"


@pytest.fixture
def pty_pair():
    p = Pty()
    yield p
    p.close()


@pytest.fixture
def scanner(pty_pair):
    h = Harness(pty_pair.name).start()
    h.connected()
    yield h
    h.scanner.stop()


@pytest.mark.parametrize("suffix", ["CR", "LF", "CRLF"])
def test_any_terminator_whatever_the_setting(pty_pair, suffix):
    h = Harness(pty_pair.name, suffix).start()
    try:
        h.connected()
        assert h.scanner.status == "connected"
        pty_pair.write(b"4006381333931\r3017620422003\n5449000000996\r\nA00123\r")
        assert [h.next() for _ in range(4)] == ["4006381333931", "3017620422003", "5449000000996", "A00123"]
        pty_pair.drained()
        h.no_more()  # the LF of a CRLF is not an empty scan
    finally:
        h.scanner.stop()
    assert h.scanner.status == "stopped"
    assert h.statuses == ["connected", "stopped"]


def test_a_scan_split_across_reads_loses_nothing(pty_pair, scanner):
    for byte in b"4006381333931":  # one byte per read
        pty_pair.write(bytes([byte]))
        pty_pair.drained()
    scanner.no_more()
    pty_pair.write(b"\r")
    assert scanner.next() == "4006381333931"
    pty_pair.write(b"30176204")
    pty_pair.drained()
    pty_pair.write(b"22003\r\n54490")
    pty_pair.drained()
    pty_pair.write(b"00000")
    pty_pair.drained()
    pty_pair.write(b"996\r\n")
    assert [scanner.next(), scanner.next()] == ["3017620422003", "5449000000996"]


def test_many_scans_back_to_back(pty_pair, scanner):
    codes = [f"{i:013d}" for i in range(200)]
    pty_pair.write(b"".join(c.encode() + b"\r\n" for c in codes))
    assert [scanner.next() for _ in codes] == codes
    assert scanner.scanner.scans == 200


def test_garbage_then_a_good_scan(pty_pair, scanner, caplog):
    # a burst of noise without terminator (a scanner plugged in, a baud-rate mismatch...)
    pty_pair.write(b"\x00\xff\xfe\x1b[A\x80")
    wait_for(lambda: scanner.scanner.dropped == 1, what="the garbage to be dropped")
    pty_pair.write(b"4006381333931\r")
    assert scanner.next() == "4006381333931"
    # garbage inside a terminated line drops that line only
    pty_pair.write(b"40063\xff81333931\r5449000000996\r")
    assert scanner.next() == "5449000000996"
    # an over-long line is dropped whole
    pty_pair.write(b"1" * (MAX_CODE_LENGTH * 3) + b"\r3017620422003\r")
    assert scanner.next() == "3017620422003"
    pty_pair.drained()
    scanner.no_more()
    assert scanner.scanner.dropped == 3
    assert "non-printable byte 0x00" in caplog.text


def test_a_failing_callback_does_not_stop_the_scanner(pty_pair):
    got: list[str] = []

    def on_scan(code: str) -> None:
        if code == "BOOM":
            raise RuntimeError("UI bug")
        got.append(code)

    s = SerialScanner(parse(f"serial://{pty_pair.name}", "scanner"), on_scan)
    s.start()
    try:
        wait_for(lambda: s.status == "connected")
        pty_pair.write(b"BOOM\r4006381333931\r")
        wait_for(lambda: got == ["4006381333931"], what="the scan after the failure")
    finally:
        s.stop()


def test_unplugged_mid_scan_then_plugged_back(tmp_path):
    link = tmp_path / "ttyScanner"  # the configured port: a stable name for a device that comes and goes
    first = Pty()
    os.symlink(first.name, link)
    h = Harness(str(link)).start()
    second = None
    try:
        h.connected()
        first.write(b"4006381333931\r")
        assert h.next() == "4006381333931"
        first.write(b"30176")  # unplugged in the middle of a scan
        first.drained()
        first.close()
        wait_for(lambda: h.statuses[-1:] == ["disconnected"], what="disconnected")
        assert h.scanner.status == "disconnected"
        second = Pty()  # plugged back: the same port name, a new device
        tmp_link = tmp_path / "ttyScanner.new"
        os.symlink(second.name, tmp_link)
        os.replace(tmp_link, link)
        h.connected(times=2)
        second.write(b"5449000000996\r")
        assert h.next() == "5449000000996"  # the partial "30176" was not glued to it
        second.drained()
        h.no_more()
        assert h.statuses == ["connected", "disconnected", "connected"]
        assert h.scanner.dropped <= 1  # the partial is dropped (at the unplug, or after its 2 s) or lost with the port
    finally:
        h.scanner.stop()
        first.close()
        if second is not None:
            second.close()


def test_port_absent_at_start_then_appears(tmp_path):
    link = tmp_path / "ttyACM0"
    h = Harness(str(link)).start()
    p = None
    try:
        wait_for(lambda: h.statuses == ["disconnected"], what="disconnected")
        p = Pty()
        os.symlink(p.name, link)
        h.connected()
        p.write(b"A00123\r")
        assert h.next() == "A00123"
    finally:
        h.scanner.stop()
        if p is not None:
            p.close()


def test_stop_is_prompt(pty_pair, tmp_path):
    h = Harness(pty_pair.name).start()
    h.connected()
    t0 = time.monotonic()
    h.scanner.stop()
    assert time.monotonic() - t0 < 1.0
    assert not h.scanner._thread.is_alive()
    # and while waiting to reconnect, even with a long delay
    h = Harness(str(tmp_path / "absent"), reconnect_delay=60).start()
    wait_for(lambda: h.statuses == ["disconnected"], what="disconnected")
    t0 = time.monotonic()
    h.scanner.stop()
    assert time.monotonic() - t0 < 1.0
    assert not h.scanner._thread.is_alive()
    assert h.scanner.status == "stopped"


# ------------------------------------------------------------------ keyboard wedge
def feed(buf: WedgeBuffer, text: str, t0: float, gap_ms: float) -> float:
    t = t0
    for ch in text:
        buf.key(ch, t)
        t += gap_ms / 1000
    return t  # when Enter comes, one gap after the last key


def test_wedge_scanner_speed_is_a_scan():
    buf = WedgeBuffer(max_gap_ms=50, min_length=4)
    t = feed(buf, "4006381333931", 100.0, 8)
    assert buf.enter(t) == "4006381333931"
    assert buf.pending == ""
    t = feed(buf, "A00123", t + 5, 20)  # a slower scanner, still within the gap
    assert buf.enter(t) == "A00123"


def test_wedge_human_speed_is_typing():
    buf = WedgeBuffer(max_gap_ms=50, min_length=4)
    t = feed(buf, "12345", 100.0, 180)
    assert buf.enter(t) is None
    t = feed(buf, "1234", t + 1, 10)  # fast keys, but a pause before Enter
    assert buf.enter(t + 0.5) is None


def test_wedge_short_bursts_and_restarts():
    buf = WedgeBuffer(max_gap_ms=50, min_length=4)
    t = feed(buf, "123", 100.0, 5)  # too short to be a scan
    assert buf.enter(t) is None
    # a person types "ab" slowly, then a scanner sends its code: the gap restarts the buffer
    t = feed(buf, "ab", t + 1, 300)
    t = feed(buf, "5449000000996", t + 0.5, 6)
    assert buf.enter(t) == "5449000000996"
    assert buf.enter(t + 0.001) is None  # nothing left


def test_wedge_configurable_gap():
    buf = WedgeBuffer(max_gap_ms=120, min_length=6)
    t = feed(buf, "A00123", 5.0, 100)
    assert buf.enter(t) == "A00123"
    buf = WedgeBuffer(max_gap_ms=20)
    t = feed(buf, "A00123", 5.0, 30)
    assert buf.enter(t) is None


# ------------------------------------------------------------------ diagnostics
def test_scanner_test_prints_each_decoded_scan(pty_pair):
    out = io.StringIO()
    connected = threading.Event()
    result: list[int] = []

    def on_status(status: str) -> None:
        if status == "connected":
            connected.set()

    def run() -> None:
        result.append(scanner_test(f"serial://{pty_pair.name}", 2, out, lambda c: f"<{c}>", timeout=WAIT,
                                   on_status=on_status))

    thread = threading.Thread(target=run)
    thread.start()
    assert connected.wait(WAIT)
    pty_pair.write(b"4006381333931\r\nA00123\r\n5449000000996\r\n")
    thread.join(WAIT)
    assert not thread.is_alive()
    assert result == [2]
    assert out.getvalue() == "4006381333931  <4006381333931>\nA00123  <A00123>\n"


def test_scanner_test_timeout_and_describe_errors(pty_pair):
    out = io.StringIO()

    def describe(code: str) -> str:
        raise ValueError(f"Unknown code: {code}")

    connected = threading.Event()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(scanner_test(
        f"serial://{pty_pair.name}", 5, out, describe, timeout=0.5,
        on_status=lambda s: s == "connected" and connected.set())))
    thread.start()
    assert connected.wait(WAIT)
    pty_pair.write(b"ZZZ\r")
    thread.join(WAIT)
    assert result == [1]
    assert out.getvalue() == "ZZZ  Unknown code: ZZZ\n"


def test_scanner_test_keyboard_reads_stdin():
    out = io.StringIO()
    n = scanner_test("keyboard", 0, out, str.lower, timeout=WAIT, stdin=io.StringIO("A00123\n\nB42\n"))
    assert n == 2
    assert out.getvalue() == "A00123  a00123\nB42  b42\n"


def test_scanner_test_needs_a_scanner():
    with pytest.raises(DeviceURLError):
        scanner_test("none", 1, io.StringIO(), str)
    with pytest.raises(DeviceURLError):
        scanner_test("tcp://1.2.3.4", 1, io.StringIO(), str)
