"""The managers' Import / Export page: a list (articles, departments, customers) to and from CSV,
Excel (.xlsx; import also .ods and .xls) and JSON (export: JSON and JSON Lines; import: JSON Lines).

Export writes the file that import expects (``pos.catalog.transfer.export``), of the chosen
fields and filtered (typed as the CLI's ``--fields`` and ``--where``); the options can be saved as
a named template, used and deleted here (``pos.catalog.templates``); the last exports are listed.
*All lists in one workbook* writes the articles, departments and customers, whole, into one .xlsx
(one sheet each, ``pos.catalog.exporting.export_workbook``, as ``pos exports workbook``) in the
folder of the export file.
Import is
previewed first (``Import.prepare``): counts by group, the rows of each group,
the changed fields; then the manager chooses what to apply (add, update,
delete the missing ones) and ``Import.apply`` does it in one transaction.

Reading, comparing and writing run as a background job (``pos.screens.background``, one at
a time) with a progress bar and a Cancel button; the results come back on the UI thread.
The screen computes nothing: ``pos.catalog.transfer``
does the work.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

from pos.catalog import exporting, templates, transfer
from pos.catalog.csvio import WriteOptions, column_letter
from pos.core.i18n import N_, _
from pos.core.jobs import Job
from pos.screens.background import Background, JobState, mirror
from pos.screens.widgets import make

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

log = logging.getLogger(__name__)

ENTITIES = (("articles", N_("Articles")), ("departments", N_("Departments")), ("customers", N_("Customers")))
SEPARATORS = ((";", ";"), (",", ","), ("\t", N_("Tab")))
ENCODINGS = (("utf-8-sig", N_("UTF-8 (Excel)")), ("utf-8", N_("UTF-8 without BOM")), ("cp1252", N_("Windows-1252")))
DECIMALS = ((",", N_("decimal ,")), (".", N_("decimal .")))
FORMATS = (("csv", N_("CSV")), ("xlsx", N_("Excel .xlsx")), ("json", N_("JSON")), ("jsonl", N_("JSON Lines")))
PAGE = 100  # rows fetched at a time in a group's list
ERRORS_SHOWN = 20
CSV_FILTERS = ["*.csv", "*.CSV", "*.txt", "*.TXT", "*.xlsx", "*.XLSX", "*.ods", "*.ODS", "*.xls", "*.XLS",
               "*.jsonl", "*.JSONL", "*.ndjson"]


def default_folder() -> Path:
    """The user's Documents folder when there is one, else the home folder."""
    try:
        from platformdirs import user_documents_dir

        docs = Path(user_documents_dir())
        if docs.is_dir():
            return docs
    except Exception:  # platformdirs missing or no such folder: the home folder will do
        pass
    return Path.home()


def local_time(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso[:16].replace("T", " ")


class TransferRow(BoxLayout):
    """One row of a preview group: where (line or key), what, and the detail (diffs or errors)."""

    where = StringProperty("")
    title = StringProperty("")
    detail = StringProperty("")
    tone = StringProperty("text")  # the detail's colour, a role of the theme: text, amount_text, error_text


class GroupPopup(ModalView):
    """The rows of one preview group, fetched a page at a time."""

    title = StringProperty("")

    def __init__(self, page: TransferPage, group: str, title: str, **kw) -> None:
        super().__init__(**kw)
        self.page, self.group, self.title = page, group, title
        self.offset = 0
        self.load_more()

    def load_more(self) -> None:
        rows = self.page.group_rows(self.group, self.offset, PAGE)
        self.offset += len(rows)
        self.ids.list.data = [*self.ids.list.data, *rows]
        self.ids.more.disabled = len(rows) < PAGE


class FilePopup(ModalView):
    """A touch-friendly file chooser: folders and CSV files; ``save`` adds a file-name field."""

    title = StringProperty("")
    filters = ListProperty(CSV_FILTERS)
    save = BooleanProperty(False)

    def __init__(self, title: str, start: str, done: Callable[[str], None], save: bool = False, **kw) -> None:
        super().__init__(**kw)
        self.title, self.save, self._done = title, save, done
        start_path = Path(os.path.expanduser(start)) if start.strip() else default_folder()
        folder = start_path if start_path.is_dir() else start_path.parent
        if not folder.is_dir():
            folder = default_folder()
        self.ids.chooser.path = str(folder)
        if save:
            self.ids.name.text = start_path.name if start_path.suffix else ""

    def entry_added(self, entry) -> None:
        """Touch-friendly rows (Kivy's are 24 px high on a 1:1 screen)."""
        entry.height = dp(52)
        for w in entry.walk(restrict=True):
            if isinstance(w, Label):
                w.font_size = "18sp"

    def go_up(self) -> None:
        self.ids.chooser.path = str(Path(self.ids.chooser.path).parent)

    def go_home(self) -> None:
        self.ids.chooser.path = str(default_folder())

    def selected(self, selection: list[str]) -> None:
        if selection and self.save and not os.path.isdir(selection[0]):
            self.ids.name.text = os.path.basename(selection[0])

    def submitted(self, selection: list[str]) -> None:
        if selection and not os.path.isdir(selection[0]):
            self.ids.chooser.selection = selection
            self.ok()

    def ok(self) -> None:
        chooser = self.ids.chooser
        if self.save:
            name = self.ids.name.text.strip()
            if not name:
                App.get_running_app().toast(_("Type a file name"), error=True)
                return
            path = os.path.join(chooser.path, name)
        else:
            files = [p for p in chooser.selection if not os.path.isdir(p)]
            if not files:
                App.get_running_app().toast(_("Touch a file first"), error=True)
                return
            path = files[0]
        self.dismiss(animation=False)
        self._done(path)


class TransferPage(JobState, BoxLayout):
    """Import / Export of one list; built with the ConfigScreen (``PAGES['transfer']``)."""

    def __init__(self, config_screen, **kw) -> None:
        super().__init__(**kw)
        self.config_screen = config_screen
        self.app = App.get_running_app()
        entity = getattr(config_screen, "transfer_entity", "articles")
        self.entity = entity if entity in dict(ENTITIES) else "articles"
        self.job: transfer.Import | None = None
        self.preview: transfer.Preview | None = None
        self.group_buttons: dict[str, Any] = {}
        self.choice_toggles: dict[str, Any] = {}
        self.create_toggle = None
        self.apply_button = None
        self.error_text = None
        self.background = Background("pos-transfer", expected=(OSError,))
        mirror(self.background, self)
        group = f"transfer_{id(self)}"
        self.entity_buttons = {}
        for key, label in ENTITIES:
            btn = Factory.TabToggle(text=_(label), group=group + "_entity",
                                    state="down" if key == self.entity else "normal")
            btn.bind(on_release=lambda _b, k=key: self.choose_entity(k))
            self.bind(busy=lambda _w, busy, b=btn: setattr(b, "disabled", busy))
            self.ids.entities.add_widget(btn)
            self.entity_buttons[key] = btn
        self.options = {"format": "csv", "separator": ";", "encoding": "utf-8-sig", "decimal": ","}
        self.option_buttons: dict[str, dict[str, Any]] = {}
        for box, name, choices, width in (
                (self.ids.export_formats, "format", FORMATS, 0.25),
                (self.ids.export_options, "separator", SEPARATORS, 0.08),
                (self.ids.export_options, "encoding", ENCODINGS, 0.19),
                (self.ids.export_options, "decimal", DECIMALS, 0.12)):
            self.option_buttons[name] = {}
            for value, label in choices:
                btn = Factory.OptionToggle(text=_(label), group=f"{group}_{name}", size_hint_x=width,
                                           state="down" if value == self.options[name] else "normal")
                btn.bind(on_release=lambda _b, n=name, v=value: self.set_option(n, v))
                box.add_widget(btn)
                self.option_buttons[name][value] = btn
        self.ids.export_path.text = str(default_folder() / f"{self.entity}.csv")
        self.show_history()
        self.show_templates()

    # ------------------------------------------------------------------ the list and the options
    def choose_entity(self, key: str) -> None:
        if self.busy or key == self.entity:
            for k, b in self.entity_buttons.items():
                b.state = "down" if k == self.entity else "normal"
            return
        old, self.entity = self.entity, key
        try:
            self.config_screen.transfer_entity = key
        except AttributeError:  # the screen may not have the property
            pass
        path = Path(os.path.expanduser(self.ids.export_path.text.strip() or "."))
        if path.stem == old:
            self.ids.export_path.text = str(path.with_name(f"{key}{path.suffix}"))
        self.ids.export_fields.text = self.ids.export_where.text = ""
        self.discard()
        self.set_status("")
        self.show_history()
        self.show_templates()

    def set_option(self, name: str, value: str) -> None:
        self.options[name] = value
        for v, btn in self.option_buttons[name].items():
            btn.state = "down" if v == value else "normal"
        if name == "format":  # the file's extension follows the format
            text = self.ids.export_path.text.strip()
            path = Path(text)
            if text and path.suffix.lower() in (".csv", ".txt", ".xlsx", ".json", ".jsonl"):
                self.ids.export_path.text = str(path.with_suffix("." + value))
            for w in self.option_buttons["separator"].values(), self.option_buttons["encoding"].values(), \
                    self.option_buttons["decimal"].values():
                for btn in w:
                    btn.disabled = value != "csv"  # the CSV options

    def _path(self, widget) -> str:
        return os.path.expanduser(widget.text.strip())

    # ------------------------------------------------------------------ file choosers
    def browse_export(self) -> None:
        def chosen(path: str) -> None:
            self.ids.export_path.text = path

        self.app.open_popup(FilePopup(_("Export to which file?"), self.ids.export_path.text, chosen, save=True))

    def browse_import(self) -> None:
        def chosen(path: str) -> None:
            self.ids.import_path.text = path
            self.preview_file()

        start = self.ids.import_path.text or str(Path(self._path(self.ids.export_path)).parent)
        self.app.open_popup(FilePopup(_("Import which file?"), start, chosen))

    # ------------------------------------------------------------------ the worker
    def run(self, what: str, work: Callable[[Job[Any]], Any], done: Callable[[Any], None],
            cancellable: bool = True, failed: Callable[[str], None] | None = None) -> None:
        """Run ``work(job)`` in the background (one at a time); ``done(result)`` then runs on the UI thread,
        unless the page was left meanwhile."""

        def finished(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
            def call(value: Any) -> None:
                if self.parent is None:  # the page was left meanwhile
                    self.discard()
                elif callback is not None:
                    callback(value)
            return call

        self.background.start(what, work, finished(done), cancellable=cancellable, failed=finished(failed))

    def set_status(self, text: str, error: bool = False) -> None:
        self.background.set_status(text, error)

    def cancel(self) -> None:
        self.background.cancel()

    def on_parent(self, _widget, parent) -> None:
        """Leaving the page stops the work in progress and forgets the preview."""
        if parent is None:
            self.background.cancel()
            if not self.busy:
                self.discard()

    # ------------------------------------------------------------------ export
    def export(self) -> None:
        path = self._path(self.ids.export_path)
        if not path:
            self.app.toast(_("Type the file to write"), error=True)
            return
        if os.path.isdir(path):
            path = os.path.join(path, f"{self.entity}.{self.options['format']}")
            self.ids.export_path.text = path
        if not self._folder_there(os.path.dirname(os.path.abspath(path))):
            return
        spec = self.app.guard(self.export_spec)
        actor = self.app.guard(lambda: self.config_screen.acting("export")) if spec is not None else None
        if spec is None or actor is None:
            return

        def work(job):
            return exporting.export(actor, spec, path, progress=job.step)

        def done(count: int) -> None:
            message = _("{n} rows exported to {path}").format(n=count, path=path)
            self.set_status(message)
            self.app.toast(message)
            self.show_history()

        self.run(_("Exporting…"), work, done)

    def _folder_there(self, folder: str) -> bool:
        if os.path.isdir(folder):
            return True
        self.app.toast(_("This folder does not exist: {folder}").format(folder=folder), error=True)
        return False

    def export_workbook(self) -> None:
        """Every list, whole, into one .xlsx (a sheet each) in the folder of the export file."""
        typed = self._path(self.ids.export_path)
        folder = typed if os.path.isdir(typed) else os.path.dirname(os.path.abspath(typed)) if typed \
            else str(default_folder())
        if not self._folder_there(folder):
            return
        path = os.path.join(folder, f"pos-lists-{dt.date.today().isoformat()}.xlsx")
        specs = [exporting.ExportSpec(entity) for entity, _label in ENTITIES]
        actor = self.app.guard(lambda: self.config_screen.acting("export"))
        if actor is None:
            return

        def work(job):
            return exporting.export_workbook(actor, path, specs, progress=job.step)

        def done(counts: dict[str, int]) -> None:
            message = _("All lists exported to {path}: {counts}").format(path=path, counts=", ".join(
                f"{_(label)} {counts.get(entity, 0)}" for entity, label in ENTITIES))
            self.set_status(message)
            self.app.toast(message)
            self.show_history()

        self.run(_("Exporting all lists…"), work, done)

    def export_spec(self, template: str = "") -> exporting.ExportSpec:
        """The export the page describes: the format, the CSV options, the fields and the filters typed."""
        fields = exporting.parse_fields(self.entity, self.ids.export_fields.text)
        where = [w.strip() for w in self.ids.export_where.text.split(";") if w.strip()]
        filters = exporting.parse_where(self.entity, where)
        options = WriteOptions(self.options["separator"], self.options["encoding"], self.options["decimal"])
        return exporting.ExportSpec(self.entity, self.options["format"], tuple(fields), filters, options, template)

    # ------------------------------------------------------------------ templates
    def show_templates(self) -> None:
        box = self.ids.templates
        box.clear_widgets()
        for t in templates.templates(self.entity):
            row = Factory.FormRow(height="56dp", spacing="6dp")
            use = Factory.TillButton(text=_("Use {name}").format(name=t.name))
            use.bind(on_release=lambda _b, name=t.name: self.use_template(name))
            delete = Factory.DangerButton(text=_("Delete"), size_hint_x=0.25)
            delete.bind(on_release=lambda _b, name=t.name: self.delete_template(name))
            row.add_widget(use)
            row.add_widget(delete)
            box.add_widget(row)
        if not box.children:
            box.add_widget(Factory.HintText(text=_("No template yet: choose the options above, type a name and "
                                                   "save them")))

    def use_template(self, name: str) -> None:
        t = self.app.guard(lambda: templates.get(name))
        if t is None:
            return
        self.set_option("format", t.format)
        for key in ("separator", "encoding", "decimal"):
            if getattr(t, key) in self.option_buttons[key]:
                self.set_option(key, getattr(t, key))
        self.ids.export_fields.text = ",".join(t.fields)
        self.ids.export_where.text = "; ".join(f"{k}={v}" for k, v in t.filters)
        self.ids.template_name.text = t.name
        self.set_status(_("Template {name}: export when ready").format(name=t.name))

    def save_template(self) -> None:
        name = self.ids.template_name.text.strip()

        def save() -> None:
            spec = self.export_spec()
            t = templates.Template(name, self.entity, spec.format or "csv", spec.fields,
                                   tuple((k, str(v)) for k, v in exporting.stored_filters(spec.filters).items()),
                                   spec.options.separator, spec.options.encoding, spec.options.decimal)
            templates.save(self.config_screen.acting("import"), t)
            self.set_status(_("Template {name} saved").format(name=name))
            self.show_templates()

        self.app.guard(save)

    def delete_template(self, name: str) -> None:
        def delete() -> None:
            templates.delete(self.config_screen.acting("import"), name)
            self.set_status(_("Template {name} deleted").format(name=name))
            self.show_templates()

        self.app.guard(delete)

    # ------------------------------------------------------------------ import: preview
    def preview_file(self) -> None:
        if self.busy:
            return
        path = self._path(self.ids.import_path)
        if not path:
            self.app.toast(_("Choose the file to import"), error=True)
            return
        self.discard()
        job = transfer.Import(self.entity, path)

        def work(background_job):
            return job.prepare(progress=background_job.step)

        def done(preview) -> None:
            self.job, self.preview = job, preview
            self.set_status(_("Preview of {file}: nothing has changed yet").format(file=preview.file_name))
            self.show_preview()

        def failed(_message: str) -> None:
            job.close()
            if self.status_error:
                self.show_error(self.status)

        self.run(_("Reading the file…"), work, done, failed=failed)

    def discard(self) -> None:
        """Forget the preview (and its staging file)."""
        if self.job is not None:
            self.job.close()
        self.job = self.preview = None
        self.group_buttons, self.choice_toggles = {}, {}
        self.create_toggle = self.apply_button = self.error_text = None
        self.ids.preview_box.clear_widgets()

    def show_error(self, message: str) -> None:
        box = self.ids.preview_box
        box.clear_widgets()
        self.error_text = Factory.ErrorText(text=message)
        box.add_widget(self.error_text)

    def show_preview(self) -> None:
        box = self.ids.preview_box
        box.clear_widgets()
        self.group_buttons, self.choice_toggles = {}, {}
        self.create_toggle = self.apply_button = self.error_text = None
        p, job = self.preview, self.job
        if p is None or job is None:
            return
        c = p.counts
        sep = _("tab") if p.separator == "\t" else p.separator
        if p.format == "csv":
            title = _("{file}: {rows} rows ({encoding}, separator {sep})").format(
                file=p.file_name, rows=p.rows, encoding=p.encoding, sep=sep)
        else:
            title = _("{file}: {rows} rows ({format}{sheet})").format(
                file=p.file_name, rows=p.rows, format=p.format, sheet=", " + _("sheet {name}").format(name=p.sheet)
                if p.sheet else "")
        box.add_widget(Factory.TransferText(text=title, bold=True))
        if p.unknown_columns:
            box.add_widget(Factory.WarningText(
                text=_("Unknown columns, ignored: {columns}").format(columns=", ".join(p.unknown_columns))))
        grid = Factory.GroupGrid()
        for group, text in (
                ("new", _("New: {n}")), ("changed", _("Changed: {n}")), ("same", _("Unchanged: {n}")),
                ("missing", _("Missing from the file: {n}")), ("invalid", _("Invalid: {n}"))):
            n = c[group]
            style = Factory.DangerButton if group == "invalid" and n else Factory.TillButton
            btn = style(text=text.format(n=n), disabled=not n)
            btn.bind(on_release=lambda _b, g=group: self.open_group(g))
            grid.add_widget(btn)
            self.group_buttons[group] = btn
        box.add_widget(grid)
        lines = []
        if p.fields:
            lines.append(_("Changed fields: {fields}").format(
                fields=", ".join(f"{transfer.column_label(p.entity, name)} ({n})"
                                 for name, n in sorted(p.fields.items(), key=lambda x: -x[1]))))
        if c["missing"]:
            if c["missing_deactivate"]:
                reason = {"articles": _("they appear on past tickets"), "customers": _("they appear on past tickets"),
                          "departments": _("they still hold articles")}[p.entity]
                lines.append(_("Missing from the file: {n}. If you choose to delete the missing ones, {d} will be "
                               "deactivated, not deleted ({reason}), and {x} deleted.").format(
                    n=c["missing"], d=c["missing_deactivate"], reason=reason, x=c["missing_delete"]))
            else:
                lines.append(_("Missing from the file: {n} (deleted only if you choose to delete the missing "
                               "ones).").format(n=c["missing"]))
        if lines:
            box.add_widget(Factory.TransferText(text="\n".join(lines)))
        if p.entity == "articles" and (p.new_departments or job.create_departments):
            names = ", ".join(p.new_departments) or "—"
            toggle = make("SwitchToggle",
                label=_("Create the missing departments: {names}").format(names=names), font_size="16sp",
                size_hint_y=None, height="52dp", state="down" if job.create_departments else "normal")
            toggle.bind(on_release=lambda b: self.set_create_departments(b.state == "down"))
            self.create_toggle = toggle
            box.add_widget(toggle)
        if p.invalid:
            errors = job.errors(ERRORS_SHOWN)
            more = c["errors"] - len(errors)
            text = _("{n} invalid rows: correct the file and preview it again. Nothing can be applied.").format(
                n=p.invalid) + "\n" + "\n".join(errors)
            if more > 0:
                text += "\n" + _("… and {n} more errors").format(n=more)
            self.error_text = Factory.ErrorText(text=text)
            box.add_widget(self.error_text)
        choices = Factory.FormRow(height="60dp", spacing="6dp")
        for key, label, default in (("add", _("Add the new ones"), True),
                                    ("update", _("Update the existing ones"), True),
                                    ("delete", _("Delete the missing ones"), False)):
            toggle = make("SwitchToggle", label=label, font_size="16sp", state="down" if default else "normal")
            toggle.bind(state=lambda *_a: self._update_apply())
            choices.add_widget(toggle)
            self.choice_toggles[key] = toggle
        box.add_widget(choices)
        actions = Factory.FormRow(height="64dp", spacing="6dp")
        discard = Factory.TillButton(text=_("Discard the preview"), size_hint_x=0.4)
        discard.bind(on_release=lambda _b: (self.discard(), self.set_status("")))
        self.apply_button = Factory.PrimaryButton(text=_("Apply"))
        self.apply_button.bind(on_release=lambda _b: self.apply())
        actions.add_widget(discard)
        actions.add_widget(self.apply_button)
        box.add_widget(actions)
        self._update_apply()

    def _update_apply(self, *_a) -> None:
        if self.apply_button is None or self.preview is None:
            return
        chosen = any(t.state == "down" for t in self.choice_toggles.values())
        self.apply_button.disabled = bool(self.preview.invalid) or not chosen or self.busy

    def on_busy(self, _w, _busy) -> None:
        self._update_apply()
        if self.create_toggle is not None:
            self.create_toggle.disabled = self.busy

    def set_create_departments(self, create: bool) -> None:
        job = self.job
        if job is None:
            return

        def done(preview) -> None:
            self.preview = preview
            self.set_status(_("Preview updated: nothing has changed yet"))
            self.show_preview()

        def failed(_message: str) -> None:
            if self.create_toggle is not None:
                self.create_toggle.state = "down" if job.create_departments else "normal"

        self.run(_("Comparing again…"), lambda _job: job.set_create_departments(create), done,
                 cancellable=False, failed=failed)

    # ------------------------------------------------------------------ import: the groups
    def open_group(self, group: str) -> None:
        if self.job is None or self.preview is None:
            return
        titles = {"new": _("New rows"), "changed": _("Changed rows"), "same": _("Unchanged rows"),
                  "missing": _("In the shop, missing from the file"), "invalid": _("Invalid rows")}
        title = f"{titles[group]} ({self.preview.counts[group]})"
        self.app.open_popup(GroupPopup(self, group, title))

    def group_rows(self, group: str, offset: int, limit: int) -> list[dict[str, Any]]:
        """One page of a group, as the rows of the list."""
        job = self.job
        if job is None:
            return []
        out = []
        for row in job.rows(group, offset, limit):
            where = _("line {n}").format(n=row["line"]) if row["line"] else ""
            title = f"{row['key']}  {row['label']}".strip()
            tone = "text"
            details: list[str] = []
            if group == "changed":
                diffs = job.compare(row["line"]).items()
                details = [f"{transfer.column_label(self.entity, col)}: {old or '—'} → {new or '—'}"
                           for col, (old, new) in diffs]
                tone = "amount_text"
            elif group == "invalid":
                for col, fld, msg in row["errors"]:
                    name = transfer.column_label(self.entity, fld)
                    where_col = _("column {letter}").format(letter=column_letter(col)) + f" ({name})" if col else name
                    details.append(f"{where_col}: {msg}")
                tone = "error_text"
            elif group == "missing":
                if row.get("in_use"):
                    details = [_("in use: deactivated, not deleted")]
                    tone = "amount_text"
                else:
                    details = [_("deleted if you choose to delete the missing ones")]
            out.append({"where": where, "title": title, "detail": "\n".join(details), "tone": tone,
                        "height": dp(30 + 22 * max(1, len(details)))})
        return out

    # ------------------------------------------------------------------ import: apply
    def apply(self) -> None:
        job, preview = self.job, self.preview
        if job is None or preview is None or self.busy:
            return
        add, update, delete = (self.choice_toggles[k].state == "down" for k in ("add", "update", "delete"))
        actor = self.config_screen.acting("import")  # a cashier: the manager-PIN pad first

        def done(result: dict[str, int]) -> None:
            message = _("Import done: {added} added, {updated} updated, {deleted} deleted, "
                        "{deactivated} deactivated").format(
                added=result.get("added", 0), updated=result.get("updated", 0), deleted=result.get("deleted", 0),
                deactivated=result.get("deactivated", 0))
            if result.get("departments_created"):
                message += ", " + _("{n} departments created").format(n=result["departments_created"])
            self.discard()
            self.set_status(message)
            self.app.toast(message)
            self.show_history()

        def failed(_message: str) -> None:
            if self.status_error and self.job is not None:
                self.show_preview()
                self.error_text = Factory.ErrorText(text=self.status)
                self.ids.preview_box.add_widget(self.error_text, index=len(self.ids.preview_box.children))

        self.run(_("Applying…"), lambda _job: job.apply(actor, add=add, update=update, delete=delete),
                 done, cancellable=False, failed=failed)

    # ------------------------------------------------------------------ history
    def show_history(self) -> None:
        lines = []
        for entry in transfer.import_log(self.entity, 5):
            counts = entry.get("counts") or {}
            lines.append(_("{when} · {who} · {file} · {added} added, {updated} updated, {deleted} deleted, "
                           "{deactivated} deactivated").format(
                when=local_time(entry["at"]), who=entry["user_name"], file=entry["file_name"],
                added=counts.get("added", 0), updated=counts.get("updated", 0), deleted=counts.get("deleted", 0),
                deactivated=counts.get("deactivated", 0)))
        self.ids.history.text = "\n".join(lines) or _("No import yet")
        lines = []
        for e in exporting.export_log(self.entity, 5):
            lines.append(_("{when} · {who} · {file} · {n} rows").format(
                when=local_time(e["at"]), who=e["user_name"] or "—", file=e["file_name"], n=e["rows"])
                + (" · " + ",".join(e["fields"]) if e["fields"] else "")
                + (" · " + exporting.where_text(e["filters"]) if e["filters"] else ""))
        self.ids.export_history.text = "\n".join(lines) or _("No export yet")
