"""The ESC/POS receipt printer, end to end with real components: tickets made by the
till, rendered with python-escpos, sent over TCP to a virtual printer (or over a
pseudo-terminal to a virtual serial printer) and decoded back into text."""

from __future__ import annotations

import logging
import time

import pytest
from helpers.escpos_decoder import decode
from helpers.virtual_printer import VirtualNetworkPrinter, VirtualSerialPrinter, closed_port, is_probe

from pos.core import i18n, settings
from pos.core.i18n import _
from pos.core.money import format_amount
from pos.data import tickets as tickets_db
from pos.data import users
from pos.hardware import DeviceError, VirtualDrawer
from pos.hardware.escpos_render import (
    SPECIAL_CHARACTERS,
    choose_codepage,
    printable_text,
    profile_names,
    render_receipt,
    render_test_page,
    ruler,
)
from pos.hardware.printer import EscposPrinter, PrinterError, make_printer, parse_status
from pos.sale.basket import Discount
from pos.sale.till import Till

MANAGER_PIN = "9999"
HEADER = "« Fait maison » — cœur de Lyon"



@pytest.fixture
def english():
    i18n.set_language("en")


@pytest.fixture
def french(shop):
    i18n.set_language("fr")
    yield
    i18n.set_language("en")


def make_sale(till: Till):
    """Croissant x2 at -10 %, Œufs, Éclair, a beer at 20 % VAT, 0.452 kg of Brie; 50 € cash."""
    settings.set_value("receipt.header", HEADER)
    for code in ("D010003", "D010003", "D020044", "D010013", "D050103"):
        till.scan(code)
    till.set_pending_qty(452)
    till.scan("D030053")
    till.set_line_discount(0, Discount("percent", 1000))
    till.add_payment("cash", 5000)
    return till.validate()


def job_of(printer: VirtualNetworkPrinter):
    return decode(printer.wait_job())


def line_with(decoded, start: str) -> str:
    for text in decoded.lines:
        if text.startswith(start):
            return text
    raise AssertionError(f"no line starts with {start!r}:\n{decoded.text}")


# ---------------------------------------------------------------- receipts
def test_receipt_80mm_in_french_decodes_to_the_ticket(till, french):
    ticket = make_sale(till)
    with VirtualNetworkPrinter() as vp:
        EscposPrinter(vp.url, columns=48).print_ticket(ticket, settings.all_values())
        raw = vp.wait_job()
    d = decode(raw)
    lines = d.lines
    assert d.codepages == [16]  # ESC t 16: Windows-1252, once, before any text
    assert d.status_queries == [1, 2, 4, 1, 2, 4]  # before the job, and as its acknowledgement
    # € and œ exist in CP1252 as 0x80 and 0x9C: the bytes themselves, not a "?"
    assert b"\x80" in raw and b"\x9c" in raw and b"?" not in raw
    assert not any("\ufffd" in t for t in lines)

    title = d.items[0]
    assert (title.text, title.bold, title.width, title.height, title.align) == (
        "Épicerie du Marché", True, 2, 2, "center")
    for text in ("12 place du Marché", "69001 Lyon", "SIRET 81234567600017",
                 f"{_('VAT no.')} FR19812345676", HEADER):
        assert text in [t.strip() for t in lines]
    assert line_with(d, f"{_('Ticket')} {ticket.number} ").endswith(ticket.created_at[:16].replace("T", " "))
    assert _("Cashier: {name}").format(name="Marie") in lines
    assert "DUPLICATA" not in d.text

    # the lines: name and total aligned on 48 columns, quantity x unit price, discount, kg
    for name, amount in (("Croissant", "2,40"), ("Œufs bio x6", "3,49"), ("Éclair au café", "2,80"),
                         ("Bière blonde 33 cl", "1,69"), ("Brie de Meaux", "11,25")):
        text = line_with(d, name)
        assert len(text) == 48 and text.endswith(" " + amount), text
    assert "  2 x 1,20" in lines
    assert line_with(d, f"  {_('Discount')}").endswith("-0,24")
    assert "  0,452 kg x 24,90" in lines

    total = d.find(_("TOTAL"))
    assert total.text == f"{_('TOTAL')}{' ' * (48 - len(_('TOTAL')) - 7)}21,39 €"  # narrow nbsp → space
    assert (total.bold, total.height, total.width) == (True, 2, 1)
    assert line_with(d, "  Espèces").endswith("50,00")
    assert line_with(d, _("Change")).endswith("28,61")

    # the VAT table: one row per rate, excl. + VAT = incl.
    header = line_with(d, _("VAT") + " ")
    assert _("Excl.") in header and _("Incl.") in header
    assert [v["vat_bp"] for v in ticket.vat] == [2000, 550]
    for v, rate in zip(ticket.vat, ("20 %", "5,5 %")):
        row = line_with(d, rate + " ").split()
        assert row[-3:] == [format_amount(x, "fr", currency=False) for x in (v["excl"], v["vat"], v["total"])]
        assert v["excl"] + v["vat"] == v["total"]
    assert "Merci de votre visite !" in [t.strip() for t in lines]
    assert "À bientôt" in [t.strip() for t in lines]
    assert d.events == [f"[barcode CODE128 T{ticket.number:09d}]", "[cut]"]
    assert lines[-2:] == d.events


def test_receipt_58mm_keeps_every_line_within_32_columns(till, french):
    ticket = make_sale(till)
    with VirtualNetworkPrinter() as vp:
        EscposPrinter(vp.url, columns=32).print_ticket(ticket, settings.all_values())
        d = job_of(vp)
    title = d.items[0]
    assert title.text == "Épicerie du Marché" and title.width == 1 and title.height == 2  # 18 x 2 > 32
    assert all(len(t) <= 32 for t in d.lines if not t.startswith("[")), d.text
    assert len(line_with(d, "Brie de Meaux")) == 32
    # the VAT table is narrowed to fit rather than truncated
    assert not any("…" in t for t in d.lines)
    for v, rate in zip(ticket.vat, ("20 %", "5,5 %")):
        row = line_with(d, rate + " ")
        assert len(row) <= 32 and row.endswith(format_amount(v["total"], "fr", currency=False))
    assert d.events == [f"[barcode CODE128 T{ticket.number:09d}]", "[cut]"]


def test_receipt_in_english(till):
    ticket = make_sale(till)
    d = decode(render_receipt(ticket, settings.all_values(), columns=42))
    assert line_with(d, "TOTAL").endswith("€21.39")
    assert "Cashier: Marie" in d.lines
    assert line_with(d, "VAT ").split() == ["VAT", "Excl.", "VAT", "Incl."]
    assert all(len(t) <= 42 for t in d.lines)


def test_reprint_is_marked_duplicata_with_its_number(till, french):
    ticket = make_sale(till)
    with VirtualNetworkPrinter() as vp:
        printer = EscposPrinter(vp.url)
        printer.print_ticket(ticket, settings.all_values(), copy=0)
        printer.print_ticket(ticket, settings.all_values(), copy=2)
        original, reprint = (decode(job) for job in vp.wait_jobs(2))
    assert "DUPLICATA" not in original.text
    mark = reprint.find("DUPLICATA")
    assert mark.text == "DUPLICATA n° 2"
    assert (mark.bold, mark.width, mark.height, mark.invert, mark.align) == (True, 2, 2, True, "center")
    # same ticket otherwise: the same lines once the mark is taken out
    assert [t for t in reprint.lines if t != "DUPLICATA n° 2"] == original.lines


def test_refund_receipt(till):
    sale = make_sale(till)
    till.authorize(MANAGER_PIN, "refund")
    till.start_refund(sale.number)
    till.add_payment("cash")
    refund = till.validate()
    d = decode(render_receipt(refund, settings.all_values(), columns=48))
    assert line_with(d, f"{_('Refund')} {refund.number} ")
    assert _("Refund of ticket {number}").format(number=sale.number) in d.lines
    assert line_with(d, "TOTAL").endswith("-€21.39")
    assert d.events[0] == f"[barcode CODE128 T{refund.number:09d}]"


def test_receipt_through_the_till_worker(shop):
    """Till.print_receipt → DeviceWorker → EscposPrinter → TCP: the job arrives and the
    till records the printer as ok."""
    with VirtualNetworkPrinter() as vp:
        t = Till(printer=EscposPrinter(vp.url), drawer=VirtualDrawer())
        try:
            t.login(users.find_user("Marie").id, "1234")
            t.scan("D010003")
            t.add_payment("card")
            ticket = t.validate()
            job = t.print_receipt(ticket)
            assert job is not None and job.finished.wait(5) and job.error is None
            d = job_of(vp)
        finally:
            t.close()
    assert line_with(d, "Croissant").endswith("1.20")
    assert d.events[-1] == "[cut]"


# ---------------------------------------------------------------- logo
def test_logo_is_printed_centred_and_scaled(till, tmp_path):
    from PIL import Image

    ticket = make_sale(till)
    path = tmp_path / "logo.png"
    Image.new("RGB", (200, 100), (0, 0, 0)).save(path)
    big = tmp_path / "big.png"
    Image.new("L", (1200, 300), 0).save(big)
    assert decode(render_receipt(ticket, {}, columns=48, logo=str(path))).events[0] == "[image 576x100]"
    assert decode(render_receipt(ticket, {}, columns=32, logo=str(path))).events[0] == "[image 384x100]"
    assert decode(render_receipt(ticket, {}, columns=32, logo=str(big))).events[0] == "[image 384x96]"


def test_unreadable_logo_is_skipped_with_a_warning(till, tmp_path, caplog):
    ticket = make_sale(till)
    broken = tmp_path / "logo.png"
    broken.write_text("not an image")
    with caplog.at_level(logging.WARNING, logger="pos.hardware.escpos_render"):
        for path in (broken, tmp_path / "missing.png"):
            d = decode(render_receipt(ticket, settings.all_values(), logo=str(path)))
            assert not any(e.startswith("[image") for e in d.events)
            assert d.events[-1] == "[cut]" and "TOTAL" in d.text
    assert sum("logo" in r.getMessage() for r in caplog.records) == 2


# ---------------------------------------------------------------- characters
def test_special_characters_survive_the_code_page(english):
    data = render_test_page({"shop.name": "Boulangerie « Œuvre »"}, columns=48)
    assert data.count(b"\x1bt") == 1 and b"\x1bt\x10" in data
    encoded = SPECIAL_CHARACTERS.encode("cp1252")
    assert encoded in data  # € = 0x80, œ = 0x9C, « = 0xAB, » = 0xBB ...
    d = decode(data)
    assert SPECIAL_CHARACTERS in d.lines
    assert d.lines[0] == "Boulangerie « Œuvre »"


@pytest.mark.parametrize("profile", profile_names())
def test_every_profile_prints_french_without_question_marks(english, profile, capsys):
    """Every python-escpos printer model gets a code page, what it lacks is spelled out,
    and the test page decodes (with that model's own ESC t numbering)."""
    from escpos.capabilities import CAPABILITIES, get_profile

    name, number = choose_codepage(profile)
    text = printable_text(SPECIAL_CHARACTERS + " 12,50\u202f€", name)
    assert "?" not in text
    if name in ("CP1252", "ISO_8859-15"):
        assert text == SPECIAL_CHARACTERS + " 12,50 €"
    table = {int(n): CAPABILITIES["encodings"][page]["python_encode"]
             for n, page in get_profile(profile).codePages.items()
             if CAPABILITIES["encodings"].get(page, {}).get("python_encode")}
    d = decode(render_test_page({"shop.name": "Test"}, columns=32, profile=profile), codepages=table)
    assert d.codepages == [number]
    assert printable_text(SPECIAL_CHARACTERS, name) in d.lines
    assert "T000000000" in d.text or any(e.startswith("[image") for e in d.events)
    assert capsys.readouterr().out == ""  # python-escpos's chatter kept off the CLI's stdout


def test_a_profile_without_cp1252_spells_out_what_is_missing(english):
    assert choose_codepage("simple") == ("CP437", 0)
    d = decode(render_test_page({"shop.name": "Cœur"}, columns=42, profile="simple"))
    assert d.codepages == [0]
    assert "EUR é è à ç ù ô oe « »" in d.lines
    assert d.lines[0] == "Coeur"


def test_control_characters_never_reach_the_printer(english):
    d = decode(render_test_page({"shop.name": "Chez\x1b@Paul\tet\x07Fils"}, columns=48))
    assert d.lines[0] == "Chez @Paul et Fils"
    assert d.inits == 1


# ---------------------------------------------------------------- test page
@pytest.mark.parametrize("columns", [32, 48])
def test_test_page_through_the_printer(english, columns):
    with VirtualNetworkPrinter() as vp:
        EscposPrinter(vp.url, columns=columns).print_test_page({"shop.name": "Épicerie du Marché"})
        d = job_of(vp)
    assert d.lines[0] == "Épicerie du Marché"
    assert _("Printer model: {profile}").format(profile="TM-T20II") in d.lines
    assert _("Characters per line: {columns}").format(columns=columns) in d.lines
    assert _("Code page: {codepage}").format(codepage="CP1252") in d.lines
    assert ruler(columns) in d.lines and len(ruler(columns)) == columns
    assert SPECIAL_CHARACTERS in d.lines
    assert d.events == ["[barcode CODE128 T000000000]", "[cut]"]


def test_58mm_profile_without_barcode_function_b_prints_an_image(till):
    ticket = make_sale(till)
    d = decode(render_receipt(ticket, {}, columns=32, profile="POS-5890"))
    assert len(d.events) == 1  # the profile has no cutter: the paper is fed, not cut
    image = d.events[0]
    assert image.startswith("[image ") and int(image[7:].split("x")[0]) == 384  # centred on the paper


# ---------------------------------------------------------------- status
def test_status_bytes():
    assert parse_status(bytes([0x16, 0x12, 0x12])) == "ok"
    assert parse_status(bytes([0x1E, 0x12, 0x12])) == "offline"
    assert parse_status(bytes([0x1E, 0x16, 0x12])) == "cover_open"
    assert parse_status(bytes([0x1E, 0x32, 0x72])) == "paper_out"
    assert parse_status(bytes([0x16, 0x12, 0x72])) == "paper_out"  # roll sensor alone
    assert parse_status(bytes([0x1E, 0x52, 0x12])) == "error"
    assert parse_status(bytes([0x16, 0x12, 0x1E])) == "ok"  # paper near end: still prints
    assert parse_status(b"") == "unknown"
    assert parse_status(bytes([0x00, 0x00, 0x00, 0x0F])) == "unknown"  # an ASB message, not an answer


@pytest.mark.parametrize("fault", ["paper_out", "cover_open", "offline"])
def test_a_printer_in_trouble_refuses_the_job_and_the_retry_prints(till, fault):
    ticket = make_sale(till)
    with VirtualNetworkPrinter() as vp:
        getattr(vp, fault)()
        printer = EscposPrinter(vp.url)
        assert printer.status() == fault
        with pytest.raises(PrinterError) as err:
            printer.print_ticket(ticket, settings.all_values())
        assert err.value.status == fault and isinstance(err.value, DeviceError)
        vp.ok()
        assert printer.status() == "ok"
        printer.print_ticket(ticket, settings.all_values())
        jobs = vp.wait_jobs(4)  # status, refused job, status, job
        refused, printed = jobs[1], jobs[3]
        assert decode(refused).lines == [] and decode(refused).status_queries == [1, 2, 4]
        assert is_probe(refused) and not is_probe(printed)
        assert decode(printed).events[-1] == "[cut]"


def test_a_printer_that_ignores_status_queries_still_prints(till):
    ticket = make_sale(till)
    with VirtualNetworkPrinter(answer_status=False) as vp:
        printer = EscposPrinter(vp.url, status_timeout=0.2)
        assert printer.status() == "unknown"
        printer.print_ticket(ticket, settings.all_values())
        d = decode(vp.wait_jobs(2)[1])
    assert d.status_queries == [1, 2, 4]  # asked once, then printed blind
    assert d.events[-1] == "[cut]"


def test_status_of_transports_that_cannot_tell(tmp_path):
    assert EscposPrinter(f"file://{tmp_path}/lp0").status() == "unknown"
    assert EscposPrinter(f"tcp://127.0.0.1:{closed_port()}").status() == "offline"


# ---------------------------------------------------------------- faults
def test_printer_not_listening_fails_fast_with_a_clear_error(till):
    ticket = make_sale(till)
    printer = EscposPrinter(f"tcp://127.0.0.1:{closed_port()}", timeout=5)
    start = time.monotonic()
    with pytest.raises(PrinterError) as err:
        printer.print_ticket(ticket, settings.all_values())
    assert time.monotonic() - start < 1
    assert err.value.status == "offline"
    assert str(printer.url) in str(err.value) and "refused" in str(err.value).lower()


def test_printer_closing_in_the_middle_of_the_job(till):
    ticket = make_sale(till)
    with VirtualNetworkPrinter(close_after=60) as vp:
        with pytest.raises(PrinterError) as err:
            EscposPrinter(vp.url, timeout=2).print_ticket(ticket, settings.all_values())
        assert len(vp.wait_job()) == 60
    assert err.value.status == "offline"
    assert "closed the connection" in str(err.value)
    # nothing wedged: the next job to a working printer prints
    with VirtualNetworkPrinter() as vp:
        EscposPrinter(vp.url).print_ticket(ticket, settings.all_values())
        assert job_of(vp).events[-1] == "[cut]"


def test_very_slow_printer_times_out(till):
    ticket = make_sale(till)
    with VirtualNetworkPrinter(read_delay=0.05, chunk=64) as vp:  # about 1.3 kB/s
        start = time.monotonic()
        with pytest.raises(PrinterError) as err:
            EscposPrinter(vp.url, timeout=0.5).print_ticket(ticket, settings.all_values())
        elapsed = time.monotonic() - start
    assert 0.4 < elapsed < 2
    assert err.value.status == "offline" and "0.5 s" in str(err.value)


def test_stalled_printer_cannot_block_a_write(english):
    with VirtualNetworkPrinter(stall=True) as vp:
        printer = EscposPrinter(vp.url, timeout=0.5)
        start = time.monotonic()
        with pytest.raises(PrinterError) as err:
            printer.send(b"A" * 32_000_000)  # more than the socket buffers hold
        elapsed = time.monotonic() - start
    assert elapsed < 3
    assert err.value.status == "offline" and "did not answer within 0.5 s" in str(err.value)


def test_failed_jobs_do_not_touch_the_ticket(shop):
    """A printer failure on the worker is recorded on the job and in device_status; the
    sale is committed and the till goes on selling."""
    t = Till(printer=EscposPrinter(f"tcp://127.0.0.1:{closed_port()}", timeout=1), drawer=VirtualDrawer())
    try:
        t.login(users.find_user("Marie").id, "1234")
        t.scan("D010003")
        t.add_payment("card")
        ticket = t.validate()
        job = t.print_receipt(ticket)
        assert job is not None and job.finished.wait(5)
        assert isinstance(job.error, PrinterError)
        assert t.device_status["printer"][0] == "offline"
        assert tickets_db.get_ticket(ticket.number).total == 120
        t.scan("D010003")  # still selling
        assert t.basket.total == 120
    finally:
        t.close()


# ---------------------------------------------------------------- serial
def test_serial_printer_on_a_pseudo_terminal(till, french):
    ticket = make_sale(till)
    with VirtualSerialPrinter() as vsp:
        printer = EscposPrinter(vsp.url, columns=32)
        assert printer.status() == "ok"
        vsp.take()
        printer.print_ticket(ticket, settings.all_values(), copy=1)
        d = decode(vsp.take())  # complete: the printer acknowledged the end of the job
    assert d.items[0].text == "Épicerie du Marché"
    assert "DUPLICATA n° 1" in d.lines
    assert line_with(d, "TOTAL").endswith("21,39 €")
    assert d.events == [f"[barcode CODE128 T{ticket.number:09d}]", "[cut]"]
    assert d.status_queries == [1, 2, 4, 1, 2, 4]


def test_serial_printer_out_of_paper(till):
    ticket = make_sale(till)
    with VirtualSerialPrinter() as vsp:
        vsp.paper_out()
        with pytest.raises(PrinterError) as err:
            EscposPrinter(vsp.url).print_ticket(ticket, settings.all_values())
    assert err.value.status == "paper_out"


def test_serial_printer_that_stops_reading_times_out(english):
    with VirtualSerialPrinter(reading=False) as vsp:
        printer = EscposPrinter(vsp.url, timeout=0.3)
        start = time.monotonic()
        with pytest.raises(PrinterError) as err:
            printer.send(b"A" * 1_000_000)
        assert time.monotonic() - start < 2
    assert err.value.status == "offline"


def test_serial_port_missing(english):
    with pytest.raises(PrinterError) as err:
        EscposPrinter("serial:///dev/pos-no-such-port").send(b"x")
    assert err.value.status == "offline" and "/dev/pos-no-such-port" in str(err.value)


def test_device_file_missing_and_usb_without_a_device(english, tmp_path):
    with pytest.raises(PrinterError) as err:
        EscposPrinter(f"file://{tmp_path}/no-such-dir/lp0").send(b"x")
    assert err.value.status == "offline" and "No such file" in str(err.value)
    with pytest.raises(PrinterError) as err:  # no pyusb/libusb here, or no such device
        EscposPrinter("usb://04b8:0e15", timeout=2).send(b"x")
    assert err.value.status in ("error", "offline") and "usb" in str(err.value).lower()


def test_device_file_printer(till, tmp_path):
    ticket = make_sale(till)
    path = tmp_path / "lp0"
    EscposPrinter(f"file://{path}").print_ticket(ticket, settings.all_values())
    assert decode(path.read_bytes()).events[-1] == "[cut]"


# ---------------------------------------------------------------- factory
def test_make_printer_from_settings(shop):
    values = settings.all_values()
    assert values["printer.url"] == "none" and make_printer(values) is None
    values.update({"printer.url": "tcp://192.0.2.10", "printer.profile": "TM-T88V", "printer.columns": "42",
                   "printer.timeout": "3", "printer.logo": "/srv/logo.png"})
    printer = make_printer(values)
    assert printer is not None
    assert (printer.url.host, printer.url.port, printer.profile, printer.columns, printer.timeout, printer.logo) == (
        "192.0.2.10", 9100, "TM-T88V", 42, 3.0, "/srv/logo.png")
    values["printer.profile"] = "TM-NOPE"
    with pytest.raises(PrinterError, match="TM-NOPE"):
        make_printer(values)

