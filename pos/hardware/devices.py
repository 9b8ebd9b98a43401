"""Build the till's devices from the settings (``printer.url``, ``drawer.url``, ``display.url``).

A device that cannot be built (a bad URL in an old database, a missing driver) is
replaced by its "none" stand-in and reported: the till always starts and sells.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pos.hardware import NoDrawer, NoPrinter
from pos.hardware.urls import parse

log = logging.getLogger(__name__)


@dataclass
class Devices:
    printer: Any
    drawer: Any
    display: Any = None
    problems: dict[str, str] = field(default_factory=dict)  # kind -> message


def build(values: dict[str, str]) -> Devices:
    devices = Devices(NoPrinter(), NoDrawer())
    try:
        from pos.hardware.printer import make_printer

        printer = make_printer(values)
        if printer is not None:
            devices.printer = printer
    except Exception as exc:  # keep selling without a printer
        log.warning("printer not available: %s", exc)
        devices.problems["printer"] = str(exc)
    try:
        from pos.hardware.drawer import make_drawer

        drawer = make_drawer(values, devices.printer if not isinstance(devices.printer, NoPrinter) else None)
        if drawer is not None:
            devices.drawer = drawer
    except Exception as exc:
        log.warning("drawer not available: %s", exc)
        devices.problems["drawer"] = str(exc)
    try:
        url = parse(values.get("display.url", "none"), "display")
        if url.scheme != "none":
            from pos.hardware.display import CustomerDisplay

            devices.display = CustomerDisplay(url)
    except Exception as exc:
        log.warning("customer display not available: %s", exc)
        devices.problems["display"] = str(exc)
    return devices
