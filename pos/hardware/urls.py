"""Device URLs, as set in ``printer.url``, ``drawer.url``, ``scanner.url`` and ``display.url``.

    printer.url   tcp://HOST[:PORT]  serial:///dev/ttyS0?baudrate=19200  usb://04b8:0e15
                  file:///dev/usb/lp0  none
    drawer.url    printer?pin=2&pulse=100  serial:///dev/ttyS1?baudrate=9600  none
    scanner.url   serial:///dev/ttyACM0?baudrate=9600&suffix=CR  keyboard  none
    display.url   serial:///dev/ttyUSB0?baudrate=9600  none
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from pos.core.errors import Refusal
from pos.core.i18n import _

DEFAULT_TCP_PORT = 9100
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


@dataclass(frozen=True)
class DeviceURL:
    scheme: str  # tcp | serial | usb | file | none | keyboard | printer
    host: str = ""
    port: int = 0
    path: str = ""
    vendor: int = 0
    product: int = 0
    params: dict[str, str] = field(default_factory=dict)

    @property
    def baudrate(self) -> int:
        return int(self.params.get("baudrate", 9600))

    def __str__(self) -> str:
        return _format(self.scheme, self.host, self.port, self.path, self.vendor, self.product, self.params)


class DeviceURLError(Refusal):
    pass


def _format(scheme: str, host: str, port: int, path: str, vendor: int, product: int,
            params: Mapping[str, str | int]) -> str:
    query = urlencode([(k, str(v)) for k, v in params.items() if str(v) != ""])
    q = f"?{query}" if query else ""
    if scheme == "tcp":
        if ":" in host and not host.startswith("["):  # an IPv6 address
            host = f"[{host}]"
        return f"tcp://{host}:{port}{q}"
    if scheme in ("serial", "file"):
        return f"{scheme}://{path}{q}"
    if scheme == "usb":
        return f"usb://{vendor:04x}:{product:04x}{q}"
    if scheme == "printer":
        return f"printer{q}"
    return scheme


def _params(query: str, allowed: set[str], text: str) -> dict[str, str]:
    params = dict(parse_qsl(query, keep_blank_values=True))
    unknown = set(params) - allowed
    if unknown:
        raise DeviceURLError(_("{url}: unknown option {name}").format(url=text, name=", ".join(sorted(unknown))))
    baud = params.get("baudrate")
    if baud is not None and (not baud.isdigit() or int(baud) not in BAUD_RATES):
        raise DeviceURLError(_("{url}: the baud rate is one of {rates}").format(
            url=text, rates=", ".join(map(str, BAUD_RATES))))
    return params


def _serial(text: str, parts, allowed: set[str]) -> DeviceURL:
    if parts.netloc or not parts.path.startswith("/"):
        raise DeviceURLError(_("{url}: a serial device is serial:///dev/NAME (three slashes)").format(url=text))
    return DeviceURL("serial", path=parts.path, params=_params(parts.query, allowed | {"baudrate"}, text))


def parse(text: str, kind: str) -> DeviceURL:
    """Parse a device URL of ``kind`` (printer, drawer, scanner, display); raise a clear error."""
    text = text.strip()
    if text in ("", "none"):
        return DeviceURL("none")
    parts = urlsplit(text)
    scheme = parts.scheme or text.split("?")[0]
    if kind == "printer":
        if scheme == "tcp":
            if not parts.hostname:
                raise DeviceURLError(_("{url}: a network printer is tcp://HOST:PORT").format(url=text))
            try:
                port = parts.port or DEFAULT_TCP_PORT
            except ValueError:
                raise DeviceURLError(_("{url}: bad port").format(url=text)) from None
            return DeviceURL("tcp", host=parts.hostname, port=port, params=_params(parts.query, set(), text))
        if scheme == "serial":
            return _serial(text, parts, set())
        if scheme == "usb":
            m = re.fullmatch(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})", parts.netloc)
            if not m:
                raise DeviceURLError(_("{url}: a USB printer is usb://VENDOR:PRODUCT in hexadecimal, "
                                       "e.g. usb://04b8:0e15").format(url=text))
            return DeviceURL("usb", vendor=int(m[1], 16), product=int(m[2], 16),
                             params=_params(parts.query, {"interface", "in_ep", "out_ep"}, text))
        if scheme == "file":
            if not parts.path.startswith("/"):
                raise DeviceURLError(_("{url}: a device file is file:///dev/usb/lp0").format(url=text))
            return DeviceURL("file", path=parts.path, params=_params(parts.query, set(), text))
    elif kind == "drawer":
        if scheme == "printer" and not parts.netloc and parts.path in ("", "printer"):
            params = _params(parts.query, {"pin", "pulse"}, text)
            if params.get("pin", "2") not in ("2", "5"):
                raise DeviceURLError(_("{url}: the drawer pin is 2 or 5").format(url=text))
            pulse = params.get("pulse", "100")
            if not pulse.isdigit() or not 10 <= int(pulse) <= 510:
                raise DeviceURLError(_("{url}: the pulse is 10 to 510 ms").format(url=text))
            return DeviceURL("printer", params={"pin": params.get("pin", "2"), "pulse": pulse})
        if scheme == "serial":
            return _serial(text, parts, set())
    elif kind == "scanner":
        if text == "keyboard":
            return DeviceURL("keyboard")
        if scheme == "serial":
            url = _serial(text, parts, {"suffix"})
            if url.params.get("suffix", "CR").upper() not in ("CR", "LF", "CRLF"):
                raise DeviceURLError(_("{url}: the suffix is CR, LF or CRLF").format(url=text))
            return url
    elif kind == "display":
        if scheme == "serial":
            return _serial(text, parts, set())
    else:
        raise ValueError(f"unknown device kind {kind!r}")
    raise DeviceURLError(_("{url}: not a {kind} URL (see the README, Hardware)").format(url=text, kind=kind))


def build_url(kind: str, scheme: str, *, host: str = "", port: int | None = None, path: str = "",
              vendor: int = 0, product: int = 0, params: Mapping[str, str | int] | None = None) -> str:
    """The URL of a ``kind`` device from its parts (the Hardware page's pickers); the inverse of
    :func:`parse`: ``build_url(kind, **dataclasses.asdict(parse(text, kind)))`` is ``text``
    in its canonical form, and ``parse(build_url(...), kind)`` gives the parts back.

    Empty options are left out; a network printer's port defaults to 9100 and an IPv6
    address is bracketed.  The result is checked by :func:`parse`: a bad part raises
    :class:`DeviceURLError` with the same message as a typed URL.
    """
    if scheme not in ("none", "keyboard", "tcp", "serial", "file", "usb", "printer"):
        raise DeviceURLError(_("{url}: not a {kind} URL (see the README, Hardware)").format(url=scheme, kind=kind))
    text = _format(scheme, host.strip(), DEFAULT_TCP_PORT if port in (None, 0) else port, path.strip(),
                   vendor, product, params or {})
    url = parse(text, kind)
    if (url.host, url.path) != (host.strip().strip("[]").lower(), path.strip()):  # "host/x", "/dev/a?b"...
        raise DeviceURLError(_("{url}: not a valid address or device path").format(url=text))
    return text
