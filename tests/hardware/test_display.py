"""The customer display (2×20 VFD, Epson DM-D commands) on a real pseudo-terminal pair:
the bytes read on the master side are decoded back into the two lines a customer sees."""

from __future__ import annotations

import os
import select
import time
import tty

import pytest

from pos.core import i18n
from pos.hardware import DeviceError
from pos.hardware.display import CODEPAGE_NUMBER, CustomerDisplay, fit, frame, to_display
from pos.hardware.urls import parse

CODEPAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}


class VFD:
    """A 2×20 display that understands the commands CustomerDisplay sends."""

    def __init__(self) -> None:
        self.codepage = "cp437"  # power-on table (page 0)
        self.clear()

    def clear(self) -> None:
        self.cells = [[" "] * 20, [" "] * 20]
        self.x, self.y = 0, 0

    @property
    def lines(self) -> list[str]:
        return ["".join(row) for row in self.cells]

    def feed(self, data: bytes) -> None:
        i = 0
        while i < len(data):
            b = data[i]
            if data[i:i + 2] == b"\x1b@":
                self.codepage = "cp437"
                self.clear()
                i += 2
            elif data[i:i + 2] == b"\x1bt":
                self.codepage = CODEPAGES[data[i + 2]]
                i += 3
            elif data[i:i + 2] == b"\x1f\x01":  # overwrite mode
                i += 2
            elif data[i:i + 2] == b"\x1f$":
                self.x, self.y = data[i + 2] - 1, data[i + 3] - 1
                i += 4
            elif b == 0x0C:
                self.clear()
                i += 1
            elif b == 0x0D:
                self.x = 0
                i += 1
            elif b == 0x0A:
                self.y = min(self.y + 1, 1)
                i += 1
            elif b < 0x20:
                raise AssertionError(f"unexpected control byte 0x{b:02x}")
            else:
                self.cells[self.y][self.x] = bytes([b]).decode(self.codepage)
                self.x += 1
                if self.x == 20:  # overwrite mode: to the start of the other line
                    self.x, self.y = 0, 1 - self.y
                i += 1


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(slave)
    os.close(master)


def read_frame(master: int, size: int, timeout: float = 5.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < size:
        ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"got {len(data)} of {size} bytes: {data!r}")
        data += os.read(master, 4096)
    return data


def shown(master: int, first: str, second: str) -> list[str]:
    """What the display shows after a call that sent ``first`` / ``second``."""
    vfd = VFD()
    vfd.feed(read_frame(master, len(frame(first, second))))
    assert vfd.codepage == "cp858"
    return vfd.lines


@pytest.fixture(autouse=True)
def english():
    i18n.set_language("en")
    yield
    i18n.set_language("en")


def test_two_lines_with_accents_and_euro(pty_pair):
    master, name = pty_pair
    display = CustomerDisplay(parse(f"serial://{name}?baudrate=9600", "display"))
    display.show("Crème brûlée à l'œuf", "Total 12,50 €")
    assert shown(master, "Crème brûlée à l'œuf", "Total 12,50 €") == [
        "Crème brûlée à l'oeu",  # œ becomes oe, cut at 20 characters
        "Total 12,50 €       ",
    ]
    assert display.last == ("Crème brûlée à l'oeu", "Total 12,50 €       ")


def test_bytes_are_pc858(pty_pair):
    master, name = pty_pair
    CustomerDisplay(parse(f"serial://{name}", "display")).show("€ é è à ç ù ô « »", "É À Ç")
    data = read_frame(master, len(frame("€ é è à ç ù ô « »", "É À Ç")))
    assert data.startswith(b"\x1b@\x1bt" + bytes([CODEPAGE_NUMBER]))
    assert CODEPAGE_NUMBER == 19
    assert b"\xd5" in data  # € in PC858
    vfd = VFD()
    vfd.feed(data)
    assert vfd.lines == ["€ é è à ç ù ô « »".ljust(20), "É À Ç".ljust(20)]


def test_till_messages_in_french(pty_pair):
    master, name = pty_pair
    i18n.set_language("fr")
    display = CustomerDisplay(parse(f"serial://{name}", "display"))
    display.line_added("Pain de campagne bio aux céréales", 1250, "fr")
    assert shown(master, *display.last) == ["Pain de campagne bio", "             12,50 €"]
    display.total(123456, "fr")
    assert shown(master, *display.last) == ["Total".ljust(20), "          1 234,56 €"]
    display.change(50, "fr")
    assert shown(master, *display.last) == ["Rendu".ljust(20), "              0,50 €"]
    display.welcome("Épicerie Léa")
    assert shown(master, *display.last)[0] == "    Épicerie Léa    "


def test_till_messages_in_english(pty_pair):
    master, name = pty_pair
    display = CustomerDisplay(parse(f"serial://{name}", "display"))
    display.change(-250, "en")
    assert shown(master, *display.last) == ["Change".ljust(20), "              -€2.50"]
    display.welcome("Café")
    assert shown(master, *display.last) == ["        Café        ", "      Welcome       "]


def test_text_conversion():
    assert to_display("Œuvre « spéciale » – 3\u202f€") == "OEuvre « spéciale » - 3 €"
    assert to_display("a\tb\nc") == "a b c"
    assert to_display("ĉ ł 日") == "c ? ?"  # unaccented when possible, else ?
    assert fit("12,50 €", align="right") == "             12,50 €"
    assert len(fit("x" * 50)) == 20


def test_unavailable_port_raises_device_error(tmp_path):
    display = CustomerDisplay(parse(f"serial://{tmp_path}/ttyUSB9", "display"), timeout=0.2)
    with pytest.raises(DeviceError) as err:
        display.show("a", "b")
    assert "ttyUSB9" in str(err.value)
    assert err.value.status == "offline"


def test_none_url_shows_nothing():
    display = CustomerDisplay(parse("none", "display"))
    display.total(100, "fr")
    assert not display.enabled and display.last[0].startswith("Total")


def test_the_till_shows_each_line_then_the_total_and_change(pty_pair, shop):
    """Through the till's hooks, on its device thread: a line added, then total and change."""
    from pos.data import users
    from pos.sale.till import Till

    master, name = pty_pair
    till = Till(display=CustomerDisplay(parse(f"serial://{name}?baudrate=9600", "display")))
    try:
        till.login(users.find_user("Marie").id, "1234")
        till.scan("D010003")  # Croissant 1.20
        vfd = VFD()
        vfd.feed(read_frame(master, len(frame("Croissant", "1 x €1.20"))))
        assert vfd.lines == [fit("Croissant"), fit("1 x €1.20")]
        till.scan("D010003")  # the same again: the line shows the quantity and the unit price
        vfd.feed(read_frame(master, len(frame("Croissant", "2 x €1.20"))))
        assert vfd.lines == [fit("Croissant"), fit("2 x €1.20")]
        till.add_payment("cash", 500)
        till.validate()
        vfd.feed(read_frame(master, len(frame("Total €2.40", "Change €2.60"))))
        assert vfd.lines == [fit("Total €2.40"), fit("Change €2.60")]
    finally:
        till.close()


def test_the_display_follows_a_deleted_line(pty_pair, shop):
    from pos.data import users
    from pos.sale.till import Till

    master, name = pty_pair
    till = Till(display=CustomerDisplay(parse(f"serial://{name}?baudrate=9600", "display")))
    try:
        till.login(users.find_user("Marie").id, "1234")
        till.scan("D010003")
        vfd = VFD()
        vfd.feed(read_frame(master, len(frame("Croissant", "1 x €1.20"))))
        till.remove_line(0)
        vfd.feed(read_frame(master, len(frame("Total", "€0.00"))))
        assert vfd.lines == [fit("Total"), fit("€0.00")]
    finally:
        till.close()
