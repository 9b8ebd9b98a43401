"""build_url: the device URL from the Hardware page's parts, the inverse of parse."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.hardware.urls import BAUD_RATES, DeviceURLError, build_url, parse

CANONICAL = [
    ("printer", "tcp://192.168.1.50:9100"),
    ("printer", "tcp://printer.local:9101"),
    ("printer", "tcp://[fe80::1]:9100"),
    ("printer", "usb://04b8:0e15"),
    ("printer", "usb://04b8:0e15?out_ep=0x01"),
    ("printer", "serial:///dev/ttyS0?baudrate=19200"),
    ("printer", "file:///dev/usb/lp0"),
    ("printer", "none"),
    ("drawer", "printer?pin=5&pulse=200"),
    ("drawer", "serial:///dev/ttyS1?baudrate=9600"),
    ("scanner", "keyboard"),
    ("scanner", "serial:///dev/ttyACM0?baudrate=9600&suffix=CRLF"),
    ("display", "serial:///dev/ttyUSB0?baudrate=9600"),
    ("display", "none"),
]


@pytest.mark.parametrize(("kind", "text"), CANONICAL)
def test_build_url_round_trips_parse(kind, text):
    url = parse(text, kind)
    assert build_url(kind, **dataclasses.asdict(url)) == text
    assert str(url) == text  # the settings store the same canonical form


def test_defaults_are_filled_in():
    assert build_url("printer", "tcp", host="10.0.0.7") == "tcp://10.0.0.7:9100"
    assert build_url("printer", "tcp", host=" 10.0.0.7 ", port=0) == "tcp://10.0.0.7:9100"
    assert build_url("drawer", "printer", params={"pin": 2, "pulse": 100}) == "printer?pin=2&pulse=100"
    assert build_url("printer", "serial", path="/dev/ttyS0", params={"baudrate": ""}) == "serial:///dev/ttyS0"
    assert parse(build_url("drawer", "printer"), "drawer").params == {"pin": "2", "pulse": "100"}


@pytest.mark.parametrize(("kind", "parts", "message"), [
    ("printer", {"scheme": "tcp", "host": ""}, "tcp://HOST:PORT"),
    ("printer", {"scheme": "tcp", "host": "10.0.0.7/x"}, "not a valid address"),
    ("printer", {"scheme": "tcp", "host": "h", "port": 70000}, "bad port"),
    ("printer", {"scheme": "serial", "path": "ttyS0"}, "three slashes"),
    ("printer", {"scheme": "serial", "path": "/dev/ttyS0?x=1"}, "unknown option"),
    ("printer", {"scheme": "serial", "path": "/dev/ttyS0", "params": {"baudrate": 1234}}, "baud rate"),
    ("drawer", {"scheme": "printer", "params": {"pin": 3}}, "pin is 2 or 5"),
    ("drawer", {"scheme": "printer", "params": {"pulse": 900}}, "10 to 510"),
    ("drawer", {"scheme": "tcp", "host": "h"}, "not a drawer URL"),
    ("scanner", {"scheme": "serial", "path": "/dev/ttyACM0", "params": {"suffix": "TAB"}}, "CR, LF or CRLF"),
    ("printer", {"scheme": "bluetooth"}, "not a printer URL"),
])
def test_bad_parts_are_refused_with_the_parse_message(kind, parts, message):
    with pytest.raises(DeviceURLError, match=message):
        build_url(kind, **parts)


hosts = st.one_of(
    st.ip_addresses().map(str),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,2}", fullmatch=True),
)


@given(host=hosts, port=st.integers(1, 65535))
def test_network_printers_round_trip(host, port):
    text = build_url("printer", "tcp", host=host, port=port)
    url = parse(text, "printer")
    assert (url.host, url.port) == (host.lower(), port)
    assert build_url("printer", **dataclasses.asdict(url)) == text


@given(name=st.from_regex(r"tty(S|USB|ACM)[0-9]{1,2}", fullmatch=True), baud=st.sampled_from(BAUD_RATES),
       kind=st.sampled_from(["printer", "drawer", "display"]))
def test_serial_devices_round_trip(name, baud, kind):
    text = build_url(kind, "serial", path=f"/dev/{name}", params={"baudrate": baud})
    url = parse(text, kind)
    assert (url.path, url.baudrate) == (f"/dev/{name}", baud)
    assert build_url(kind, **dataclasses.asdict(url)) == text


@given(vendor=st.integers(0, 0xFFFF), product=st.integers(0, 0xFFFF))
def test_usb_printers_round_trip(vendor, product):
    url = parse(build_url("printer", "usb", vendor=vendor, product=product), "printer")
    assert (url.vendor, url.product) == (vendor, product)
