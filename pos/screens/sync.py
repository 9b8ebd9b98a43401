"""The managers' PrestaShop page: settings and connection test, the article sync, the end-of-day
sync and the sync log (four tabs; ``PAGES['sync']`` of the configuration).

Long work (test, preview, apply, the end-of-day run) runs as a background job
(``pos.screens.background``) of a ``SyncRunner`` that outlives the page: leaving the page (back to
the sale screen) does not stop an end-of-day run, and coming back shows where it is.  The
screen computes nothing: ``pos.sync`` does the work.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

from pos.core import admin, settings
from pos.core.errors import Refusal, explain
from pos.core.i18n import N_, _
from pos.core.jobs import Job
from pos.core.permissions import Actor, NeedsManager, check
from pos.screens.background import Background, JobState, mirror
from pos.screens.transfer import GroupPopup  # noqa: F401  (also loads the TransferRow / TransferText rules)
from pos.screens.widgets import make

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

log = logging.getLogger(__name__)

TABS = (("settings", N_("Settings")), ("articles", N_("Articles")), ("endofday", N_("End of day")),
        ("log", N_("Sync log")))
KEYS = ["prestashop.url", "prestashop.key", "prestashop.language", "prestashop.order_states", "prestashop.mode",
        "prestashop.shipping_article", "prestashop.department", "prestashop.id_shop", "prestashop.till_fields",
        "prestashop.new_inactive", "prestashop.cancel_states", "prestashop.imported_state",
        "prestashop.auto_minutes"]
STEP_NAMES = {"articles": N_("Articles"), "push": N_("Published articles"), "orders": N_("Web orders"),
              "stock": N_("Stock")}
COUNT_NAMES = {  # what a step or a run counted, as the manager reads it
    "products": N_("products"), "new": N_("new"), "changed": N_("changed"), "unchanged": N_("unchanged"),
    "to_deactivate": N_("to deactivate"), "errors": N_("errors"), "stock_reconciled": N_("stock reconciled"),
    "added": N_("added"), "updated": N_("updated"), "deactivated": N_("deactivated"),
    "departments_created": N_("departments created"), "first_ticket": N_("first ticket"),
    "last_ticket": N_("last ticket"), "orders_seen": N_("orders seen"), "imported": N_("imported"),
    "skipped_already": N_("already imported"), "skipped_state": N_("skipped (order state)"),
    "unknown_products": N_("unknown products"), "articles": N_("articles"), "pushed": N_("sent"),
    "not_linked": N_("not linked"), "weighed": N_("weighed"), "conflicts": N_("conflicts"),
    "till_stock_refreshed": N_("till stock refreshed"), "created": N_("created"),
    "combinations": N_("combinations (the shop's)"),
}
STATUS_NAMES = {"done": N_("done"), "failed": N_("failed"), "skipped": N_("skipped"), "cancelled": N_("cancelled"),
                "pending": N_("waiting"), "running": N_("running")}
PAGE = 100


def local_time(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso[:19].replace("T", " ")


def make_client(url: str | None = None, key: str | None = None):
    """A client on the given or saved shop; a ``Refusal`` says what is missing."""
    from pos.sync.client import PrestaShopClient, normalise_base_url

    url = settings.get("prestashop.url") if url is None else url.strip()
    if key is None or key == settings.SECRET_SHOWN:
        key = settings.secret("prestashop.key")
    if not url or not key:
        raise Refusal(_("PrestaShop is not configured: type the shop address and the webservice key, then save"))
    from pos.sync.limits import client_limits

    return PrestaShopClient(normalise_base_url(url), key.strip(), **client_limits())  # bounded


def describe_auto(status) -> str:
    """The web dot's explanation: the last success and the last failure, with their times."""
    def hhmm(iso: str) -> str:
        return iso[11:16] if len(iso) >= 16 else iso

    parts = []
    if status.last_ok:
        parts.append(_("Web store sync OK at {time}").format(time=hhmm(status.last_ok)))
    if status.state == "failed":
        parts.append(_("failed at {time}: {error}").format(time=hhmm(status.last_failure), error=status.error))
    elif status.state == "busy":
        parts.append(_("waiting for another synchronisation"))
    return " · ".join(parts) or _("Web store sync: waiting for the first run")


def start_auto(app):
    """Start the automatic sync the settings ask for (None if off); the web dot follows it."""
    from pos.screens.app import RED, STATUS_COLOURS
    from pos.screens.background import post
    from pos.sync import auto

    def show(status) -> None:
        app.web_colour = STATUS_COLOURS["ok"] if status.state == "ok" else RED if status.state == "failed" \
            else STATUS_COLOURS["unknown"]
        app.web_message = describe_auto(status)

    scheduler = auto.from_settings(make_client, post=post, on_status=show)
    if scheduler is None:
        app.web_colour, app.web_message = STATUS_COLOURS["none"], _("Web store sync: not configured")
        return None
    show(scheduler.status())
    return scheduler.start()


class SyncRunner(Background):
    """One sync job at a time; lives on the app, not on the page, with what the page shows."""

    def __init__(self, **kw) -> None:
        from pos.sync.errors import PrestaShopError

        super().__init__("pos-sync", expected=(PrestaShopError, OSError), one_line=True, **kw)
        self.preview: Any = None  # the article preview waiting to be applied
        self.connection: Any = None  # the last ConnectionReport, or an error text
        self.last_run: dict[str, Any] | None = None  # the last end-of-day result
        self.steps: dict[str, dict[str, Any]] = {}
        self.requested_tab = ""

    def start(self, what: str, work: Callable[[Job[Any]], Any], done: Callable[[Any], None], *,
              cancellable: bool = True, failed: Callable[[str], None] | None = None) -> bool:
        if self.busy:
            App.get_running_app().toast(_("A synchronisation is already running"), error=True)
            return False
        return super().start(what, work, done, cancellable=cancellable, failed=failed)


def report_to(job: Job[Any], step: str = "") -> Callable[[str, int, int | None], None]:
    """A sync's ``progress(stage, done, total)`` shown on the job: ``Step · stage done/total``."""

    def progress(stage: str, done: int, total: int | None) -> None:  # worker thread
        parts = [_(STEP_NAMES.get(step, step))] if step else []
        if stage:
            parts.append(f"{stage} {done}" + (f"/{total}" if total else ""))
        job.progress(done, total, " · ".join(parts))

    return progress


def runner_of(app) -> SyncRunner:
    runner = getattr(app, "_sync_runner", None)
    if runner is None:
        runner = SyncRunner()
        app._sync_runner = runner
    return runner


# ---------------------------------------------------------------- the end-of-day run (also from the closure)
def start_end_of_day(app, actor: Actor) -> bool:
    """Start ``run_all`` in the background for ``actor`` (who needs the ``sync`` permission); the page
    (if open) shows it, the till stays usable."""
    from pos.sync import endofday

    check(actor, "sync")
    user_name = actor.name
    runner = runner_of(app)
    if runner.busy:
        app.toast(_("A synchronisation is already running"), error=True)
        return False
    try:
        client = make_client()
    except Refusal as exc:
        app.toast(str(exc), error=True)
        return False
    runner.steps = {name: {"status": "pending", "counts": {}, "error": ""} for name in endofday.STEPS}

    def work(job: Job[dict[str, Any]]) -> dict[str, Any]:
        def progress(step: str, stage: str, done: int, total: int | None) -> None:  # worker thread
            report_to(job, step)(stage, done, total)
            if stage == "" and step in runner.steps:
                runner.steps[step]["status"] = "running"

        from pos.sync.lock import sync_lock

        with sync_lock() as mine:  # never two at once: the automatic sync, pos sync ...
            if not mine:
                raise Refusal(_("A synchronisation is already running: try again in a moment"))
            return endofday.run_all(client, progress=progress, cancel=job.cancelled, user_name=user_name)

    def done(result: dict[str, Any]) -> None:
        runner.last_run = result
        runner.steps = result["steps"]
        if result["status"] == "done":
            message = _("Synchronisation done")
            runner.set_status(message)
            app.toast(message)
        elif result["status"] == "cancelled":
            runner.set_status(_("Synchronisation cancelled: run it again to finish"))
        else:
            message = _("Synchronisation stopped: {error} (run it again to resume)").format(error=result["error"])
            runner.set_status(message, error=True)
            app.toast(message, error=True)

    return runner.start(_("Synchronising…"), work, done)


class SyncPage(JobState, BoxLayout):
    """PrestaShop: built with the ConfigScreen (``PAGES['sync']``)."""

    tab = StringProperty("settings")

    def __init__(self, config_screen, **kw) -> None:
        super().__init__(**kw)
        self.config_screen = config_screen
        self.app = App.get_running_app()
        self.runner = runner_of(self.app)
        self.fields: dict[str, Any] = {}
        self.choice_toggles: dict[str, Any] = {}
        self.group_buttons: dict[str, Any] = {}
        self.step_labels: dict[str, Any] = {}
        self.apply_button = None
        self.form_scroll, self.form = self.ids.scroll.__self__, self.ids.form.__self__
        self.log_box = self.ids.log_box.__self__
        self._unmirror = mirror(self.runner, self)
        self.runner.bind(changed=self._redraw)
        self.tab_buttons = {}
        group = f"sync_tabs_{id(self)}"
        for key, label in TABS:
            btn = Factory.TabToggle(text=_(label), group=group)
            btn.bind(on_release=lambda _b, k=key: self.open_tab(k))
            self.ids.tabs.add_widget(btn)
            self.tab_buttons[key] = btn
        requested = self.runner.requested_tab
        self.runner.requested_tab = ""
        self.open_tab(requested or ("endofday" if self.runner.busy and self.runner.steps else "settings"))

    @property
    def user_name(self) -> str:
        return getattr(self.config_screen, "user_name", "")

    def on_parent(self, _widget, parent) -> None:
        """Leaving the page: the work goes on (the runner keeps it); the page stops listening."""
        if parent is None:
            self._unmirror()
            self.runner.unbind(changed=self._redraw)

    def cancel(self) -> None:
        self.runner.cancel()

    def _redraw(self, *_a) -> None:
        if self.parent is None:
            return
        if self.tab == "settings" and self.fields:  # keep what was typed
            self.connection_text.text = self.describe_connection()
            return
        self.open_tab(self.tab)

    # ------------------------------------------------------------------ tabs
    def open_tab(self, key: str) -> None:
        self.tab = key
        for k, btn in self.tab_buttons.items():
            btn.state = "down" if k == key else "normal"
        body = self.ids.body
        body.clear_widgets()
        self.form.clear_widgets()
        self.fields, self.choice_toggles, self.group_buttons, self.step_labels = {}, {}, {}, {}
        self.apply_button = None
        if key == "log":
            body.add_widget(self.log_box)
            self.show_log()
            return
        body.add_widget(self.form_scroll)
        self.form_scroll.scroll_y = 1
        getattr(self, f"build_{key}")(self.form)

    def _text(self, text: str, style: str = "WrappedText"):
        w = getattr(Factory, style)(text=text)
        self.form.add_widget(w)
        return w

    def _button(self, text: str, action: Callable[[], None], style: str = "TillButton", **kw):
        kw.setdefault("size_hint_y", None)
        kw.setdefault("height", "60dp")
        btn = getattr(Factory, style)(text=text, **kw)
        btn.bind(on_release=lambda _b: action())
        return btn

    # ------------------------------------------------------------------ settings and test
    def build_settings(self, form) -> None:
        values = settings.all_values()
        self.settings_error = Factory.ErrorText()
        form.add_widget(self.settings_error)
        for key in KEYS:
            spec = settings.BY_KEY[key]
            row = make("SyncSettingRow", label=_(spec.label))
            field = self.fields[key] = row.ids.field
            field.text, field.password = values[key], spec.secret
            field.bind(text=lambda w, _t, k=key: self.check_field(k, w))
            form.add_widget(row)
        buttons = Factory.FormRow(height="60dp")
        self.save_button = self._button(_("Save"), lambda: self.app.guard(self.save_settings), "PrimaryButton")
        self.test_button = self._button(_("Test connection"), self.test_connection, "InfoButton")
        self.test_button.disabled = self.busy
        buttons.add_widget(self.save_button)
        buttons.add_widget(self.test_button)
        form.add_widget(buttons)
        self.connection_text = self._text(self.describe_connection())

    def check_field(self, key: str, widget) -> None:
        if settings.BY_KEY[key].secret and widget.text == settings.SECRET_SHOWN:
            widget.error = False
            return
        try:
            settings.validate(key, widget.text)
            widget.error = False
            self.settings_error.text = ""
        except settings.SettingError as exc:
            widget.error = True
            self.settings_error.text = f"{_(settings.BY_KEY[key].label)}: {exc}"

    def save_settings(self) -> None:
        """All or nothing (``settings.set_many``); the key left as ******** is kept."""
        values = {k: f.text for k, f in self.fields.items()}
        try:
            admin.set_settings(self.config_screen.acting("settings"), values)
        except NeedsManager:
            raise  # the manager-PIN pad (PosApp.guard), then this runs again
        except settings.SettingError as exc:
            self.settings_error.text = _("Not saved: {error}").format(error=exc)
            self.app.toast(self.settings_error.text, error=True)
            return
        except Exception as exc:  # a database error: a message; a defect: logged, an internal error
            self.app.toast(explain(exc), error=True)
            return
        stored = settings.all_values()
        for key, field in self.fields.items():
            field.text = stored[key]
        self.settings_error.text = ""
        self.app.toast(_("Saved"))

    def test_connection(self) -> None:
        url, key = self.fields["prestashop.url"].text, self.fields["prestashop.key"].text
        try:
            client = make_client(url, key)
        except Refusal as exc:
            self.runner.connection = str(exc)
            self.runner.set_status(str(exc), error=True)
            self._redraw()
            return
        runner = self.runner
        runner.connection = None

        def done(report) -> None:
            runner.connection = report
            runner.set_status(_("Connected to PrestaShop {version}").format(version=report.version)
                              if report.ok else _("Connected, but permissions are missing"), error=not report.ok)

        def failed(message: str) -> None:
            runner.connection = message

        orders_mode = settings.get("prestashop.mode") == "orders"  # read here, not on the worker thread
        from pos.sync.rights import from_settings
        from pos.sync.runs import connection_test

        jobs = from_settings()
        actor = self.config_screen.acting("sync")  # journaled with the test
        if runner.start(_("Testing the connection…"),
                        lambda _job: connection_test(actor, client, orders_mode=orders_mode, jobs=jobs),
                        done, cancellable=False, failed=failed):
            self.test_button.disabled = True

    def describe_connection(self) -> str:
        report = self.runner.connection
        if report is None:
            return _("Save, then test the connection: the version, the permissions and the shop's settings "
                     "are shown here.")
        if isinstance(report, str):
            return _("Connection failed: {error}").format(error=report)
        lines = [_("PrestaShop {version} · {shop}").format(version=report.version, shop=report.shop_name)]
        from pos.sync.rights import required

        for resource in sorted(set(required(report.jobs, report.patch)) | set(report.missing)):  # what the sync needs
            missing = report.missing.get(resource)
            if missing:
                lines.append("✗ " + _("{resource}: missing {methods}").format(
                    resource=resource, methods=" ".join(sorted(missing))))
            else:
                lines.append("✓ " + _("{resource}: ok").format(resource=resource))
        langs = ", ".join(f"{lang.get('id', '?')} {lang.get('iso_code', '')}".strip() for lang in report.languages)
        lines.append(_("Languages: {languages} (default {default})").format(
            languages=langs or "—", default=report.default_language or "—"))
        currency = (report.currency or {}).get("iso_code", "") or "—"
        lines.append(_("Currency: {currency} · default country: {country}").format(
            currency=currency, country=report.default_country or "—"))
        lines.extend(f"! {w}" for w in report.warnings)
        return "\n".join(lines)

    # ------------------------------------------------------------------ articles
    def build_articles(self, form) -> None:
        self._text(_("Fetches the products changed in the shop since the last sync and compares them with the "
                     "till: nothing changes before you apply."), "HintText")
        row = Factory.FormRow(height="60dp")
        self.preview_button = self._button(_("Synchronise the articles"), lambda: self.preview_articles(False),
                                           "InfoButton")
        self.full_button = self._button(_("Compare every product"), lambda: self.preview_articles(True),
                                        size_hint_x=0.45)
        for b in (self.preview_button, self.full_button):
            b.disabled = self.busy
            row.add_widget(b)
        form.add_widget(row)
        preview = self.runner.preview
        if preview is None:
            return
        counts = preview.counts
        self._text(_("{products} products fetched ({mode}), {unchanged} articles unchanged").format(
            products=counts["products"], mode=_("all") if preview.full else _("changes only"),
            unchanged=counts["unchanged"]))
        groups = (("new", _("New articles"), counts["new"]), ("changed", _("Changed articles"), counts["changed"]),
                  ("to_deactivate", _("To deactivate (deleted in the shop)"), counts["to_deactivate"]),
                  ("errors", _("Errors (skipped)"), counts["errors"]))
        grid = Factory.GroupGrid(cols=2, height="128dp")
        for key, label, n in groups:
            btn = Factory.TillButton(text=f"{label}: {n}", font_size="17sp", disabled=not n)
            btn.bind(on_release=lambda _b, k=key, t=label: self.open_group(k, t))
            self.group_buttons[key] = btn
            grid.add_widget(btn)
        form.add_widget(grid)
        if preview.fields:
            self._text(_("Changed fields: {fields}").format(
                fields=", ".join(f"{k} {n}" for k, n in preview.fields.items())))
        if preview.new_departments:
            self._text(_("Departments created: {names}").format(names=", ".join(preview.new_departments)))
        choices = Factory.FormRow(height="56dp", spacing="6dp")
        for key, label, n in (("add", _("Add the new ones"), counts["new"]),
                              ("update", _("Update the changed ones"), counts["changed"]),
                              ("delete", _("Deactivate the deleted ones"), counts["to_deactivate"])):
            toggle = make("SwitchToggle", label=label, font_size="16sp", state="down" if n else "normal")
            toggle.bind(state=lambda *_a: self._update_apply())
            self.choice_toggles[key] = toggle
            choices.add_widget(toggle)
        form.add_widget(choices)
        actions = Factory.FormRow(height="64dp", spacing="6dp")
        actions.add_widget(self._button(_("Discard the preview"), self.discard, size_hint_x=0.4))
        self.apply_button = self._button(_("Apply"), lambda: self.app.guard(self.apply_articles), "PrimaryButton")
        actions.add_widget(self.apply_button)
        form.add_widget(actions)
        self._update_apply()

    def _update_apply(self, *_a) -> None:
        if self.apply_button is not None:
            chosen = any(t.state == "down" for t in self.choice_toggles.values())
            self.apply_button.disabled = not chosen or self.busy

    def on_busy(self, _w, busy: bool) -> None:
        self._update_apply()
        for name in ("preview_button", "full_button", "test_button", "run_button"):
            w = getattr(self, name, None)
            if w is not None:
                w.disabled = busy
        if busy and self.tab == "endofday":
            Clock.schedule_once(lambda _dt: self._refresh_steps(), 0.2)

    def preview_articles(self, full: bool) -> None:
        from pos.sync import articles

        try:
            client = make_client()
        except Refusal as exc:
            self.app.toast(str(exc), error=True)
            return
        runner = self.runner
        runner.preview = None

        def work(job):
            return articles.pull_preview(client, full=full, progress=report_to(job), cancel=job.cancelled)

        def done(preview) -> None:
            runner.preview = preview
            runner.set_status(_("Preview: nothing has changed yet"))

        runner.start(_("Fetching the products…"), work, done)

    def discard(self) -> None:
        self.runner.preview = None
        self.runner.set_status("")
        self._redraw()

    def apply_articles(self) -> None:
        from pos.sync import articles

        runner, preview = self.runner, self.runner.preview
        if preview is None or runner.busy:
            return
        add, update, delete = (self.choice_toggles[k].state == "down" for k in ("add", "update", "delete"))
        user = self.config_screen.acting("sync").name  # a cashier: the manager-PIN pad first

        def done(result: dict[str, int]) -> None:
            runner.preview = None
            message = _("Articles synchronised: {added} added, {updated} updated, {deactivated} deactivated").format(
                added=result.get("added", 0), updated=result.get("updated", 0),
                deactivated=result.get("deactivated", 0))
            runner.set_status(message)
            self.app.toast(message)

        def work(_job):
            from pos.data import sync as sync_state

            run_id = sync_state.start_run(articles.KIND, user, False)
            try:
                result = articles.apply(preview, add=add, update=update, delete=delete, user_name=user)
            except Exception as exc:
                sync_state.finish_run(run_id, "failed", preview.summary(), " ".join(str(exc).split()))
                raise
            sync_state.finish_run(run_id, "done", {**preview.summary(), **result}, "\n".join(preview.errors[:50]))
            return result

        runner.start(_("Applying…"), work, done, cancellable=False)

    def open_group(self, group: str, title: str) -> None:
        preview = self.runner.preview
        if preview is None:
            return
        self.app.open_popup(GroupPopup(self, group, f"{title} ({preview.counts[group]})"))

    def group_rows(self, group: str, offset: int, limit: int) -> list[dict[str, Any]]:
        """One page of a preview group, as TransferRow data (GroupPopup's interface)."""
        preview = self.runner.preview
        if preview is None:
            return []
        rows: list[dict[str, Any]] = []
        if group == "new":
            items = preview.new[offset:offset + limit]
            rows = [{"where": f"{r.id_product}/{r.id_product_attribute}", "title": f"{r.reference}  {r.name}",
                     "detail": f"{r.price / 100:.2f} · {r.department}", "tone": "text"}
                    for r in items]
        elif group == "changed":
            for c in preview.changed[offset:offset + limit]:
                details = [f"{k}: {old if old not in ('', None) else '—'} → {new if new not in ('', None) else '—'}"
                           for k, (old, new) in c.fields.items()]
                rows.append({"where": f"{c.shop.id_product}/{c.shop.id_product_attribute}",
                             "title": f"{c.shop.reference}  {c.shop.name}", "detail": "\n".join(details),
                             "tone": "amount_text"})
        elif group == "to_deactivate":
            rows = [{"where": f"{d.id_product}/{d.id_product_attribute}", "title": f"{d.reference}  {d.name}",
                     "detail": _("deactivated, never deleted"), "tone": "amount_text"}
                    for d in preview.to_deactivate[offset:offset + limit]]
        elif group == "errors":
            rows = [{"where": "", "title": text.split(": ", 1)[0],
                     "detail": text.split(": ", 1)[-1], "tone": "error_text"}
                    for text in preview.errors[offset:offset + limit]]
        for r in rows:
            r["height"] = dp(30 + 22 * max(1, r["detail"].count("\n") + 1))
        return rows

    # ------------------------------------------------------------------ end of day
    def build_endofday(self, form) -> None:
        self._text(_("Fetches the changed articles, imports the web orders, then sends the till's sales to the "
                     "shop's stock. The till stays usable meanwhile; a stopped run resumes where it stopped."),
                   "HintText")
        self.run_button = self._button(_("Synchronise"), lambda: self.app.guard(
            lambda: start_end_of_day(self.app, self.config_screen.acting("sync"))), "PrimaryButton")
        self.run_button.disabled = self.busy
        form.add_widget(self.run_button)
        from pos.sync.endofday import STEPS

        for name in STEPS:
            self.step_labels[name] = self._text(self.describe_step(name))
        if self.runner.busy and self.runner.steps:
            Clock.schedule_once(lambda _dt: self._refresh_steps(), 0.3)

    def describe_step(self, name: str) -> str:
        step = self.runner.steps.get(name)
        title = _(STEP_NAMES[name])
        if step is None:
            return f"{title}: —"
        status = _(STATUS_NAMES.get(step["status"], step["status"]))
        counts = ", ".join(f"{_(COUNT_NAMES.get(k, k))} {v}" for k, v in step.get("counts", {}).items()
                           if isinstance(v, int) and not isinstance(v, bool))
        text = f"{title}: {status}" + (f" · {counts}" if counts else "")
        if step.get("error"):
            text += f"\n{step['error']}"
        for line in step.get("error_list", [])[:5]:
            text += f"\n  {line}"
        return text

    def _refresh_steps(self) -> None:
        if self.parent is None or self.tab != "endofday":
            return
        for name, label in self.step_labels.items():
            label.text = self.describe_step(name)
        if self.runner.busy:
            Clock.schedule_once(lambda _dt: self._refresh_steps(), 0.3)

    # ------------------------------------------------------------------ log
    def show_log(self) -> None:
        from pos.data import sync as sync_state

        rows = []
        for run in sync_state.runs(200):
            counts = ", ".join(f"{_(COUNT_NAMES.get(k, k))}: {v}" for k, v in (run.get("counts") or {}).items()
                               if not isinstance(v, (list, dict)))
            detail = counts + (f"\n{run['error']}" if run.get("error") else "")
            status = _(STATUS_NAMES.get(run["status"], run["status"]))
            title = f"{run['kind']} · {status}" + (" · " + _("dry run") if run.get("dry_run") else "")
            if run.get("user_name"):
                title += f" · {run['user_name']}"
            tone = "error_text" if run["status"] == "failed" else "text"
            lines = max(1, min(8, len(detail) // 60 + detail.count("\n") + 1))
            rows.append({"where": f"{local_time(run['started_at'])}\n{local_time(run.get('finished_at'))}",
                         "title": title, "detail": detail, "tone": tone, "height": dp(30 + 20 * lines)})
        self.ids.log.data = rows
        self.ids.log_empty.text = "" if rows else _(
            "No synchronisation yet: run one from the End of day tab (or after the day's closure).")
