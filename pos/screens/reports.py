"""Reports on the till: the stored closures (Z, monthly, yearly) and sales reports.

The texts come from ``pos.fiscal.reports`` (48 columns, as on the receipt printer); the
screen only picks what to show.  Sales reports and PDFs are built by background jobs
(``pos.core.jobs.Job``, which release their database connection when they end); the
result comes back to the UI thread (``pos.screens.background.post``).

PDFs are saved in ``reports_folder()``: ``$POS_REPORTS_DIR``, else a ``pos`` folder
in the user's Documents folder, else a ``reports`` folder next to the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from pos.core.errors import Refusal, explain
from pos.core.i18n import N_, _, language
from pos.core.jobs import Job
from pos.core.money import format_amount
from pos.data import common
from pos.fiscal import closures
from pos.screens.background import post
from pos.screens.base import PosScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

log = logging.getLogger(__name__)

COLUMNS = 48  # the receipt printer's width: the same text on the screen, the paper and the CLI
GROUPS = (("article", N_("Article")), ("department", N_("Department")), ("vat", N_("VAT rate")),
          ("payment", N_("Payment")), ("cashier", N_("Cashier")), ("hour", N_("Hour")), ("day", N_("Day")))
KIND_LETTERS = {"day": "Z", "month": "M", "year": "Y", "x": "X"}
KIND_NAMES = {"day": N_("Z (day)"), "month": N_("Month"), "year": N_("Year")}


# ---------------------------------------------------------------- shared by the closure screen
def reports_folder() -> Path:
    """Where the till saves its PDFs (created if needed)."""
    env = os.environ.get("POS_REPORTS_DIR")
    if env:
        folder = Path(env)
    else:
        folder = None
        try:
            from platformdirs import user_documents_dir

            docs = Path(user_documents_dir())
            if docs.is_dir():
                folder = docs / "pos"
        except Exception:  # platformdirs missing or no Documents folder: next to the database
            pass
        if folder is None:
            db_path = getattr(getattr(common.database, "obj", None), "database", "") or ""
            folder = (Path(db_path).parent if db_path and db_path != ":memory:" else Path.home()) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pdf_name(closure: dict[str, Any]) -> str:
    """``Z-0003.pdf``, ``M-0001.pdf``, ``Y-0001.pdf``; an X report is named by its time."""
    letter = KIND_LETTERS.get(closure.get("kind", ""), "C")
    if closure.get("kind") == "x":
        stamp = (closure.get("created_at") or "")[:16].replace("-", "").replace(":", "").replace("T", "-")
        return f"X-{stamp or 'report'}.pdf"
    return f"{letter}-{int(closure.get('number') or 0):04d}.pdf"


def sales_pdf_name(report: dict[str, Any]) -> str:
    start = dt.date.fromisoformat(report["start"])
    end = dt.date.fromisoformat(report["end"]) - dt.timedelta(days=1)
    period = start.isoformat() if start == end else f"{start.isoformat()}_{end.isoformat()}"
    return f"sales-{period}-{report['by']}.pdf"


def save_pdf(name: str, write: Callable[[Path], Path], done: Callable[[Path], None],
             failed: Callable[[Exception], None]) -> Job[Path]:
    """``write(path)`` of the PDF ``name`` in ``reports_folder()``, as a background job."""
    return Job(lambda _job: write(reports_folder() / name), name="pos-pdf", post=post,
               on_done=done, on_error=failed).start()


def save_closure_pdf(closure: dict[str, Any], done: Callable[[Path], None],
                     failed: Callable[[Exception], None]) -> Job[Path]:
    """Write the closure's PDF into ``reports_folder()`` in the background."""
    from pos.fiscal import reports

    lang = language()
    return save_pdf(pdf_name(closure), lambda path: reports.closure_pdf(closure, path, lang=lang), done, failed)


def pdf_failed(exc: Exception) -> str:
    """What to say when a PDF could not be saved (a full disk is no defect)."""
    return _("The PDF could not be saved: {error}").format(error=explain(exc, (OSError,)))


def print_report(till, report: dict[str, Any], done: Callable[[Any], None]) -> None:
    """Print a closure or a sales report on the receipt printer, on the till's printer thread."""
    from pos.fiscal import reports

    lang = language()
    till._device_job("printer", "print_report", lambda: reports.print_report(till.printer, report, lang),
                     lambda job: Clock.schedule_once(lambda _dt: done(job)))


def printed_message(job) -> tuple[str, bool]:
    if job.error:
        return _("Not printed: {error}").format(error=job.error), True
    return _("Report printed"), False


# ---------------------------------------------------------------- the screen
class ClosureRow(Factory.SelectableRow):
    title = StringProperty("")
    when = StringProperty("")
    total = StringProperty("")


class ReportsScreen(PosScreen):
    text = StringProperty("")
    status = StringProperty("")
    busy = BooleanProperty(False)
    section = StringProperty("closures")
    by = StringProperty("vat")
    period = StringProperty("today")  # today, month, date

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.closures: list[dict[str, Any]] = []
        self.shown: dict[str, Any] | None = None  # the closure or sales report on the right
        self.report: dict[str, Any] | None = None
        self.actor: Any = None  # who reads: the visit's actor (``prepare``)
        self._again = False
        # the two sections swap in and out of the left pane: keep real references
        self._closures_box = self.ids.closures_box.__self__
        self._sales_box = self.ids.sales_box.__self__
        self.group_buttons = {}
        for key, label in GROUPS:
            btn = Factory.ChoiceToggle(text=_(label), group="report_by", state="down" if key == self.by else "normal")
            btn.bind(on_release=lambda _b, k=key: self.set_by(k))
            self.ids.groups.add_widget(btn)
            self.group_buttons[key] = btn
        self.ids.left.remove_widget(self._sales_box)

    def prepare(self, section: str = "closures", visit: Any = None, **_kw) -> None:
        """``visit``: the actor of the screen that opened this one (the closure's visit covers the reports)."""
        user, actor = self.app.till.user, visit or getattr(self, "actor", None)
        if actor is None or user is None or actor.user_id != user.id:  # a new visit
            actor = self.app.till.visit("reports")
        self.actor = actor
        self.load_closures()
        self.show_section(section)

    # ------------------------------------------------------------------ sections
    def show_section(self, section: str) -> None:
        self.section = section
        left = self.ids.left
        for box in (self._closures_box, self._sales_box):
            if box.parent is not None:
                left.remove_widget(box)
        left.add_widget(self._closures_box if section == "closures" else self._sales_box, index=2)
        self.ids.tab_closures.state = "down" if section == "closures" else "normal"
        self.ids.tab_sales.state = "down" if section == "sales" else "normal"
        self.shown = None
        if section == "sales":
            self.text = ""
            self.run_sales()
        else:
            self.text = _("Touch a closure to see it.") if self.closures else _(
                "No closure yet: count the drawer and close the day (Z) on the Closure screen.")
            self.status = ""

    # ------------------------------------------------------------------ closures
    def reader(self):
        """Who reads the reports: the visit's actor, or a manager's PIN (``reports``, checked by the core)."""
        return self.app.till.for_action("reports", self.actor)

    def load_closures(self) -> None:
        self.closures = []
        self.app.guard(lambda: closures.read_closures(self.reader()), on_done=self._list_closures)

    def _list_closures(self, found: list[dict[str, Any]]) -> None:
        self.closures = list(reversed(found))  # the newest first
        lang = language()
        self.ids.list.data = [{
            "title": f"{_(KIND_NAMES.get(c['kind'], c['kind']))} {c['number']}",
            "when": (c["created_at"] or "")[:16].replace("T", " "),
            "total": format_amount(c["total"], lang),
            "on_select": self.open_closure,
        } for c in self.closures]

    def open_closure(self, index: int) -> None:
        from pos.fiscal import reports

        if not 0 <= index < len(self.closures):
            return
        closure = self.closures[index]
        self.shown = closure
        self.text = "\n".join(reports.closure_lines(closure, COLUMNS, language()))
        self.status = ""

    # ------------------------------------------------------------------ sales
    def set_by(self, by: str) -> None:
        self.by = by
        for key, btn in self.group_buttons.items():
            btn.state = "down" if key == by else "normal"
        self.run_sales()

    def set_period(self, period: str) -> None:
        self.period = period
        self.run_sales()

    def date_validated(self, text: str) -> None:
        self.period = "date"
        self.ids.date.text = text.strip()
        self.run_sales()

    def period_bounds(self) -> tuple[dt.date, dt.date]:
        """The period chosen: today, this month, or the day (YYYY-MM-DD) or month (YYYY-MM) typed."""
        from pos.fiscal import reports

        today = dt.date.today()
        if self.period == "month":
            return reports.month_period(today.strftime("%Y-%m"))
        if self.period == "date":
            typed = self.ids.date.text.strip()
            if len(typed) == 7:
                return reports.month_period(typed)
            return reports.day_period(reports.parse_date(typed))
        return reports.day_period(today)

    def run_sales(self) -> None:
        """Build the sales report on a worker thread (one at a time; a change meanwhile runs after)."""
        for key in ("today", "month", "date"):
            self.ids[f"period_{key}"].state = "down" if key == self.period else "normal"
        if self.busy:
            self._again = True
            return
        try:
            start, end = self.period_bounds()
        except Refusal as exc:  # a ReportError: a bad date
            self.app.toast(str(exc), error=True)
            return
        self.app.guard(self.reader, on_done=lambda actor: self._start_sales(actor, start, end))

    def _start_sales(self, actor: Any, start: dt.date, end: dt.date) -> None:
        from pos.fiscal import reports

        by, lang = self.by, language()
        self.busy = True
        self.status = _("Computing…")

        def work() -> tuple[dict[str, Any], list[str]]:
            report = reports.sales_report(actor, start, end, by)
            return report, reports.sales_lines(report, COLUMNS, lang)

        Job(lambda _job: work(), name="pos-sales-report", post=post, on_done=self._sales_done,
            on_error=self._sales_failed).start()

    def _sales_done(self, result) -> None:
        self.busy = False
        if self._again:
            self._again = False
            self.run_sales()
            return
        if self.section != "sales":
            return
        self.report, lines = result
        self.shown = self.report
        self.text = "\n".join(lines)
        self.status = ""

    def _sales_failed(self, exc: Exception) -> None:
        self.busy = False
        self.status = ""
        self.app.toast(explain(exc), error=True)
        if self._again:
            self._again = False
            self.run_sales()

    # ------------------------------------------------------------------ output
    def save_pdf(self) -> None:
        from pos.fiscal import reports

        shown = self.shown
        if shown is None:
            self.app.toast(_("Choose a report first"))
            return
        self.status = _("Saving the PDF…")
        lang = language()
        if "summary" in shown:  # a sales report
            save_pdf(sales_pdf_name(shown), lambda path: reports.sales_pdf(shown, path, lang=lang),
                     self._saved, self._save_failed)
        else:
            save_closure_pdf(shown, self._saved, self._save_failed)

    def _saved(self, path) -> None:
        self.status = _("Saved: {path}").format(path=path)
        self.app.toast(_("PDF saved: {path}").format(path=path))

    def _save_failed(self, exc: Exception) -> None:
        self.status = ""
        self.app.toast(pdf_failed(exc), error=True)

    def print_shown(self) -> None:
        if self.shown is None:
            self.app.toast(_("Choose a report first"))
            return
        print_report(self.app.till, self.shown, self._printed)

    def _printed(self, job) -> None:
        message, error = printed_message(job)
        self.app.toast(message, error=error)

    def restore_kw(self) -> dict[str, Any]:
        return {"section": self.section}

    def back(self) -> None:
        self.actor = None  # the visit ends: a manager's authorisation does not outlive it
        self.app.show("sale")
