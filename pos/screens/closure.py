"""The closure screen ("Clôture"): count the cash, run the daily Z, print it, save its PDF.

Reached from the sale screen's Menu by a manager (a cashier needs a manager's PIN:
the ``closure`` action of ``Till.RESTRICTED``).  Three steps on one screen:

1. **Cash count**: a row per note and coin (``pos.fiscal.closures.DENOMINATIONS``) with − / +
   and a count field; the counted total, the expected cash (from ``x_report()``),
   the difference, the opening float and the cash put in / taken out of the period.
2. **The Z**: *Close the day (Z)* runs ``closures.close("day", ...)`` with the count
   and shows the Z's text (48 columns, as on the receipt printer).
3. **Print and PDF**: the PDF is saved in the background (``reports.reports_folder()``,
   ``Z-0003.pdf``) and its path shown; *Print* sends the text to the receipt printer on
   the till's printer thread.

*X report* shows what a Z would hold now (nothing is closed); the monthly and yearly
closures have their buttons here too (a refusal, ``ClosureError``, is a toast).
After a daily Z, when PrestaShop is configured, *Synchronise with the web shop* opens the
PrestaShop page (``pos/screens/sync.py``) and starts the end-of-day sync in the background.

Also here: ``CashMovementPopup``, the Menu's *Cash in / out*: the opening float and cash
put in are open to every user; cash taken out needs a manager (the ``cash_out``
action: a cashier gets the manager-PIN pad).  A reason is required for in and out.
The drawer opens once a movement is recorded.  Neither closures nor cash movements
are allowed in training mode (they are real).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

from pos.core import settings
from pos.core.i18n import N_, _, language
from pos.core.money import format_amount, parse_amount
from pos.fiscal import closures
from pos.screens.base import PosScreen
from pos.screens.reports import COLUMNS, pdf_failed, print_report, printed_message, save_closure_pdf
from pos.screens.theme import THEME
from pos.screens.widgets import ChoicePopup, KeypadBuffer

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

MOVEMENTS = (("float", N_("Opening float")), ("in", N_("Cash in")), ("out", N_("Cash out")))


def denomination_label(cents: int, lang: str) -> str:
    """``€50``, ``€0.50`` (``50 €``, ``0,50 €`` in French): no cents on whole euros."""
    text = format_amount(cents, lang)
    return text.replace(",00", "").replace(".00", "") if cents % 100 == 0 else text


def training_refused(app) -> bool:
    if app.till.training:
        app.toast(_("Not available in training mode"), error=True)
        return True
    return False


class DenominationRow(BoxLayout):
    value = NumericProperty(0)
    label = StringProperty("")


class ClosureScreen(PosScreen):
    counted_text = StringProperty("")
    expected_text = StringProperty("")
    difference_text = StringProperty("")
    difference_colour = ListProperty(THEME.text)  # the theme's error colour when cash is missing
    float_text = StringProperty("")
    cash_in_text = StringProperty("")
    cash_out_text = StringProperty("")
    movements_text = StringProperty("")
    text = StringProperty("")
    status = StringProperty("")
    closed = BooleanProperty(False)  # a closure was just run: its text is shown
    sync_offered = BooleanProperty(False)  # a daily Z was just run and PrestaShop is configured

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.counts: dict[int, int] = {}
        self.rows: dict[int, DenominationRow] = {}
        self.expected = 0
        self.shown: dict[str, Any] | None = None  # the X or closure on the right
        self.saved_path: Path | None = None
        lang = language()
        for value in closures.DENOMINATIONS:
            row = DenominationRow(value=value, label=denomination_label(value, lang))
            row.ids.minus.bind(on_release=lambda _b, v=value: self.step(v, -1))
            row.ids.plus.bind(on_release=lambda _b, v=value: self.step(v, +1))
            row.ids.count.bind(text=lambda field, text, v=value: self.typed(v, text))
            (self.ids.notes if value >= 500 else self.ids.coins).add_widget(row)
            self.rows[value] = row
        self.ids.notes.add_widget(Widget())  # fewer notes than coins: the rows start at the top

    def prepare(self, **_kw) -> None:
        user, actor = self.app.till.user, getattr(self, "actor", None)
        if actor is None or user is None or actor.user_id != user.id:  # a new visit (not back from the reports)
            self.actor = self.app.till.visit("closure")
        self.closed = False
        self.sync_offered = False
        self.shown = None
        self.saved_path = None
        self.status = ""
        self.text = _("Count the notes and coins of the drawer, then close the day (Z).\n\n"
                      "X report: what the Z would hold now (nothing is closed).")
        self.clear_count()
        self.load_expected()

    # ------------------------------------------------------------------ step 1: the count
    def load_expected(self) -> None:
        """The expected cash and the period's float and movements, from an X report."""
        x = self.app.guard(lambda: closures.x_report(self.app.till.for_action("reports", self.actor)))
        if x is None:
            return
        cash = x["data"]["cash"]
        lang = language()
        self.expected = cash["expected"]
        self.expected_text = format_amount(cash["expected"], lang)
        self.float_text = format_amount(cash["float"], lang)
        self.cash_in_text = format_amount(cash["cash_in"], lang)
        self.cash_out_text = format_amount(-cash["cash_out"] if cash["cash_out"] else 0, lang)
        names = dict(MOVEMENTS)
        self.movements_text = "\n".join(
            f"{(m['at'] or '')[11:16]}  {_(names.get(m['kind'], m['kind']))}  "
            f"{format_amount(-m['amount'] if m['kind'] == 'out' else m['amount'], lang)}"
            f"{'  · ' + m['reason'] if m['reason'] else ''}  ({m['user_name']})"
            for m in cash["movements"]) or _("No cash movement since the last Z: «Cash in / out» records one.")
        self.update_totals()

    @property
    def user_name(self) -> str:
        return self.app.till.user.name if self.app.till.user else ""

    def step(self, value: int, direction: int) -> None:
        self.set_count(value, self.counts.get(value, 0) + direction)

    def set_count(self, value: int, count: int) -> None:
        count = max(0, count)
        self.counts[value] = count
        field = self.rows[value].ids.count
        text = str(count) if count else ""
        if field.text != text:
            field.text = text  # calls typed(), which updates the totals
        else:
            self.update_totals()

    def typed(self, value: int, text: str) -> None:
        text = text.strip()
        self.counts[value] = int(text) if text.isdigit() else 0
        self.rows[value].ids.minus.disabled = not self.counts[value]
        self.update_totals()

    def clear_count(self) -> None:
        for value in closures.DENOMINATIONS:
            self.set_count(value, 0)

    def detail(self) -> dict[str, int]:
        return {str(v): n for v, n in self.counts.items() if n}

    @property
    def counted(self) -> int:
        return closures.counted_from_detail(self.detail())[0]

    def update_totals(self) -> None:
        lang = language()
        counted = self.counted
        difference = counted - self.expected
        self.counted_text = format_amount(counted, lang)
        self.difference_text = ("+" if difference > 0 else "") + format_amount(difference, lang)
        self.difference_colour = (THEME.text if difference == 0 else THEME.ok_text if difference > 0
                                  else THEME.error_text)

    # ------------------------------------------------------------------ X and closures
    def show_x(self) -> None:
        """The interim report, with the count typed so far; nothing is stored."""
        from pos.fiscal import reports

        detail = self.detail()
        x = self.app.guard(lambda: closures.x_report(self.app.till.for_action("reports", self.actor),
                                                     counted_detail=detail or None))
        if x is not None:
            self.show(x, reports.closure_lines(x, COLUMNS, language()))
            self.status = ""

    def show(self, closure: dict[str, Any], lines: list[str]) -> None:
        self.shown = closure
        self.text = "\n".join(lines)
        self.ids.text.scroll_y = 1

    def close_day(self) -> None:
        if training_refused(self.app):
            return
        self.app.open_popup(ChoicePopup(
            _("Close the day (Z)?"),
            [(_("Yes, counted {counted}").format(counted=self.counted_text), True)],
            lambda ok: ok and self.run_closure("day")))

    def close_period(self, kind: str) -> None:
        if training_refused(self.app):
            return
        title = _("Close the month?") if kind == "month" else _("Close the year?")
        self.app.open_popup(ChoicePopup(title, [(_("Yes, close it"), True)],
                                        lambda ok: ok and self.run_closure(kind)))

    def run_closure(self, kind: str) -> None:
        """Store the closure (one transaction), show it, save its PDF in the background."""
        from pos.fiscal import reports

        detail, counted = self.detail(), self.counted

        def run():
            actor = self.app.till.for_action("closure", self.actor)
            if kind == "day":
                return closures.close(actor, "day", counted=counted, counted_detail=detail)
            return closures.close(actor, kind)

        closure = self.app.guard(run)
        if closure is None:
            return
        self.closed = True
        self.show(closure, reports.closure_lines(closure, COLUMNS, language()))
        self.app.toast(reports.closure_title(closure))
        if kind == "day":
            from pos.screens.backups import backup_after_z

            backup_after_z(self.app)  # a backup after each Z, when a backup folder is set
            self.clear_count()
            self.load_expected()  # a new period starts: nothing expected but what is left
            self.sync_offered = bool(self.app.guard(lambda: settings.get("prestashop.url")))
        self.save_pdf()

    # ------------------------------------------------------------------ step 3: print and PDF
    def save_pdf(self) -> None:
        if self.shown is None:
            self.app.toast(_("Choose a report first"))
            return
        self.status = _("Saving the PDF…")
        save_closure_pdf(self.shown, self._saved, self._save_failed)

    def _saved(self, path) -> None:
        self.saved_path = Path(path)
        self.status = _("PDF saved: {path}").format(path=path)

    def _save_failed(self, exc: Exception) -> None:
        self.status = ""
        self.app.toast(pdf_failed(exc), error=True)

    def print_shown(self) -> None:
        if self.shown is None:
            self.app.toast(_("Choose a report first"))
            return
        self.app.toast(_("Printing…"))
        print_report(self.app.till, self.shown, self._printed)

    def _printed(self, job) -> None:
        message, error = printed_message(job)
        self.app.toast(message, error=error)

    # ------------------------------------------------------------------ navigation
    def cash_movement(self) -> None:
        open_cash_movement(self.app, done=lambda _m: self.load_expected())

    def reports(self) -> None:
        self.app.show("reports", visit=self.actor)  # the closure's visit covers the reports

    def sync_web(self) -> None:
        """The end-of-day sync: open the PrestaShop page on its run and start it (in the background)."""
        from pos.screens.sync import runner_of, start_end_of_day

        runner_of(self.app).requested_tab = "endofday"
        self.app.show("config", section="sync")
        self.app.guard(lambda: start_end_of_day(self.app, self.app.till.for_action("sync", self.actor)))

    def back(self) -> None:
        self.actor = None  # the visit ends: a manager's authorisation does not outlive it
        self.app.show("sale")


# ---------------------------------------------------------------- cash in / out / float
class CashMovementPopup(ModalView):
    """Amount on a keypad, a reason, and the kind: opening float, cash in, cash out."""

    kind = StringProperty("in")
    amount_text = StringProperty("")

    def __init__(self, done=None, kind: str = "in", **kw) -> None:
        super().__init__(**kw)
        self.app = App.get_running_app()
        self._done = done
        self.buffer = KeypadBuffer(self._typed)
        self.ids.keypad.handler = self.buffer.key
        self.kind_buttons = {}
        for key, label in MOVEMENTS:
            btn = Factory.ChoiceToggle(text=_(label), group="cash_movement_kind")
            btn.bind(on_release=lambda _b, k=key: self.set_kind(k))
            self.ids.kinds.add_widget(btn)
            self.kind_buttons[key] = btn
        self.set_kind(kind)
        self._typed("")

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        for key, btn in self.kind_buttons.items():
            btn.state = "down" if key == kind else "normal"

    def _typed(self, text: str) -> None:
        self.amount_text = format_amount(parse_amount(text), language()) if text.strip(",") else ""

    def ok(self) -> None:
        typed, reason, kind = self.buffer.text, self.ids.reason.text.strip(), self.kind
        till = self.app.till
        if not typed:
            self.app.toast(_("Type the amount"), error=True)
            return

        def run():  # a cashier taking cash out: the manager-PIN pad, then this runs again
            actor = till.require("cash_out" if kind == "out" else "cash_in")
            return closures.cash_movement(actor, kind, parse_amount(typed), reason)

        self.app.guard(run, on_done=self.recorded)

    def recorded(self, movement: dict[str, Any]) -> None:
        self.dismiss(animation=False)
        names = dict(MOVEMENTS)
        self.app.till.open_drawer(reason=f"cash_{self.kind}")
        self.app.toast(_("{kind} recorded: {amount}").format(
            kind=_(names[self.kind]), amount=format_amount(movement["amount"], language())))
        if self._done:
            self._done(movement)


def open_cash_movement(app, done=None, kind: str = "in") -> CashMovementPopup | None:
    if training_refused(app):
        return None
    popup = CashMovementPopup(done=done, kind=kind)
    app.open_popup(popup)
    return popup
