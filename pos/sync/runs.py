"""What the sync jobs share: cancellation (the one ``pos.core.errors.Cancelled``, raised inside a job
when its ``cancel`` says so: the run ends *cancelled*), the logged run (a ``sync_run`` row per run),
and the journaled connection test."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pos.core.errors import Cancelled
from pos.core.permissions import Actor, check
from pos.data import events
from pos.data import sync as data_sync
from pos.sync.errors import PrestaShopError

if TYPE_CHECKING:
    from pos.sync.client import ConnectionReport, PrestaShopClient

__all__ = ["Cancelled", "logged_run"]


def logged_run(result: dict[str, Any], run: Callable[[], None],
               counts: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """Run a job whose ``result`` holds its ``run_id``: *done*, *cancelled*, or *failed* on a shop or
    network error (counted in ``errors``, the message in ``error``); any other exception is logged
    *failed* and raised.  The run's row gets the status, ``counts(result)`` and the error."""
    try:
        run()
        result["status"] = "done"
    except Cancelled:
        result["status"] = "cancelled"
    except PrestaShopError as exc:
        result["status"] = "failed"
        result["errors"] += 1
        result["error"] = str(exc).replace("\n", " ")
    except Exception as exc:
        data_sync.finish_run(result["run_id"], "failed", counts(result), f"{type(exc).__name__}: {exc}")
        raise
    data_sync.finish_run(result["run_id"], result["status"], counts(result), result["error"])
    return result


def connection_test(actor: Actor, client: PrestaShopClient, *, orders_mode: bool,
                    jobs: list[str]) -> ConnectionReport:
    """Test the webservice for the jobs the shop runs (``sync`` permission), journaled with who
    asked, the version found and whether the key has every right the jobs need."""
    check(actor, "sync")
    report = client.test_connection(orders_mode=orders_mode, jobs=jobs)
    events.log_event("sync_test", actor.name, version=report.version, ok=report.ok)
    return report
