"""What the CLI says about the devices after a sale is committed (``pos sell``).

The sale is recorded before any device runs; then the CLI waits at most ``DEVICE_WAIT`` seconds
for the receipt and the drawer together (a printer that does not answer, a blackholed port, never
keeps the command waiting longer).  Each device that failed, did not answer in time or could not
confirm its job is one line on stderr, and ``pos sell`` exits with ``EXIT_DEVICE`` (3): the sale
is kept, the receipt can be printed again with ``pos receipt NUMBER``.
"""

from __future__ import annotations

from typing import Any

from pos.core.i18n import _
from pos.hardware import Job

DEVICE_WAIT = 3.0  # seconds
EXIT_DEVICE = 3
BAD = ("offline", "paper_out", "cover_open", "error")


def device_problems(till: Any, receipt: Job | None, wait: float = DEVICE_WAIT) -> list[str]:
    """Wait for the device jobs queued by the sale (``wait`` s at most); what went wrong, one line each."""
    all_done = till.wait_devices(wait)
    problems = []
    if receipt is not None:
        if not receipt.finished.is_set():
            problems.append(_("the receipt was not printed: no answer from the printer within {s} s").format(
                s=f"{wait:g}"))
        elif receipt.error is not None:
            problems.append(_("the receipt was not printed: {error}").format(error=receipt.error))
        elif receipt.result == "unknown" and getattr(till.printer, "reads_status", False):
            problems.append(_("the printer did not confirm the receipt (no answer to its status query): "
                              "check that it came out"))
    status, message = till.device_status.get("drawer", ("", ""))
    if status in BAD:
        problems.append(_("the cash drawer: {error}").format(error=message))
    elif not all_done and not problems:
        problems.append(_("a device did not answer within {s} s").format(s=f"{wait:g}"))
    return problems
