"""The journal's signing key, a database from before signing, what a Z prints, and ``pos journal verify``'s
options and exit codes."""

from __future__ import annotations

import logging
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from helpers.actors import MANAGER
from helpers.cli import cli_env

from pos.data import events, journal, signing
from pos.fiscal import archive, closures, reports


def sell(till, code: str = "3760123000017") -> int:
    till.scan(code)
    till.add_payment("cash")
    return till.validate().number


def key_file(shop) -> Path:
    return Path(f"{shop.database}.{signing.KEY_FILE}")


def test_the_key_is_0600_outside_the_database_and_never_logged(db, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    signing.forget()
    events.log_event("x")
    path = key_file(db)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = signing.private_key()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = Path(db.database).read_bytes()
    assert raw not in stored and raw.hex().encode() not in stored and b"PRIVATE KEY" not in stored
    pem = path.read_text("ascii")
    assert all(raw.hex() not in r.getMessage() and pem not in r.getMessage() for r in caplog.records)
    genesis = next(journal.journal_rows())
    assert signing.public_hex(key) in genesis[4]  # a new journal names its key in its genesis
    verdict = journal.verify()
    assert verdict.ok and verdict.code == 0 and "signing started" not in verdict.message


def test_a_key_file_readable_by_others_is_tightened(db):
    events.log_event("x")
    path = key_file(db)
    path.chmod(0o644)
    signing.forget()
    assert signing.private_key() is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_database_from_before_signing_still_verifies(db, monkeypatch):
    """Records written unsigned (as before this version), an old 3-field head file: signing starts at a key
    record, and verify says so."""
    monkeypatch.setattr(signing, "private_key", lambda create=True: None)
    for i in range(4):
        events.log_event("old", i=i)
    last = journal.last_record()
    head = journal.head_path()
    head.write_text(f"{last[0]} {last[1]} {journal._genesis()}\n", "ascii")
    monkeypatch.undo()
    signing.forget()
    assert journal.verify().ok  # no key file yet, nothing signed: an unsigned journal
    events.log_event("new")
    rows = list(journal.journal_rows())
    assert rows[last[0]][2] == "key" and rows[last[0]][0] == last[0] + 1
    verdict = journal.verify(all_signatures=True)
    assert verdict.ok and verdict.code == 0, (verdict.message, verdict.warnings)
    assert f"signing started at record {last[0] + 1}" in verdict.message


def test_every_z_prints_its_anchor_the_key_and_a_qr_code(shop, till, tmp_path):
    sell(till)
    z = closures.close(MANAGER, "day")
    a = closures.anchor(z)
    assert a["anchor"] == f"{z['journal_seq']}:{journal.hash_at(z['journal_seq'])}"
    assert a["fingerprint"] == signing.fingerprint(journal.recorded_key())
    lines = reports.closure_lines(closures.get_closure("day", 1), 48, "en")
    i = lines.index("Anchor (pos journal verify --anchor)")
    assert "".join(lines[i + 1:i + 3]) == a["anchor"]
    assert signing.pretty(a["fingerprint"]) in lines
    assert any("█" in line for line in lines[lines.index("Anchor QR code"):])
    reports.closure_pdf(z, tmp_path / "z.pdf")

    class Paper:  # a receipt printer that draws the QR code
        columns = 48

        def print_lines(self, lines, settings=None):
            raise AssertionError("a closure goes to print_document")

        def print_document(self, doc):
            from pos.hardware.escpos_render import render_document

            self.doc = doc
            return render_document(doc, columns=48)

    paper = Paper()
    out = reports.print_report(paper, z, "en")
    assert paper.doc[-1].kind == "qr" and paper.doc[-1].text == a["qr"]
    assert b"\x1dv0" in out  # the QR code's raster image
    assert not any("█" in line.text for line in paper.doc)


def run(shop, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pos", "--db", shop.database, "journal", "verify", *args],
                          capture_output=True, text=True, env=cli_env())


def test_cli_verify_options_and_exit_codes(shop, till, tmp_path):
    sell(till)
    z = closures.close(MANAGER, "day")
    sell(till)
    archive.backup(MANAGER, tmp_path / "copy.sqlite3")
    assert (tmp_path / "copy.sqlite3").is_file()
    proc = run(shop, "--anchor", closures.anchor(z)["anchor"], "--anchor", closures.anchor(z)["qr"],
               "--anchor-file", str(tmp_path / "copy.sqlite3.head"))
    assert proc.returncode == 0 and "anchor" in proc.stdout and "matches" in proc.stdout, proc.stderr
    proc = run(shop, "--all-signatures")
    assert proc.returncode == 0 and "every record's signature checked" in proc.stdout, proc.stderr
    proc = run(shop, "--anchor", "12:" + "0" * 64)
    assert proc.returncode == 1 and "anchor" in proc.stderr
    proc = run(shop, "--anchor", "nonsense")
    assert proc.returncode == 1 and "unusable anchor" in proc.stderr
    journal.head_path().unlink()
    proc = run(shop)
    assert proc.returncode == journal.EXIT_HEAD and "no head file" in proc.stderr
    assert proc.stdout.startswith("journal intact:")
    key_file(shop).unlink()
    proc = run(shop)
    assert proc.returncode == journal.EXIT_HEAD and "no key file" in proc.stderr
    journal.write_head()  # the key is still in this process: the head file comes back, signed
    proc = run(shop)
    assert proc.returncode == journal.EXIT_KEY and "no key file" in proc.stderr


@pytest.mark.parametrize("name", ["HEAD", "PUBLIC_KEY"])
def test_an_archive_carries_its_key_and_head(shop, till, tmp_path, name):
    from pos.data import common

    sell(till)
    folder = tmp_path / "a"
    summary = archive.export(MANAGER, common.now_iso()[:7], folder)
    assert summary["key_fingerprint"] == signing.fingerprint(journal.recorded_key())
    assert (folder / "PUBLIC_KEY").read_text("ascii").split() == ["ed25519", journal.recorded_key()]
    head = journal.parse_head((folder / "HEAD").read_text("ascii"))
    assert head.seq >= summary["last_seq"] and head.ticket == 1
    (folder / name).write_text((folder / name).read_text("ascii").replace("1", "2"), "ascii")
    verdict = archive.verify(folder)
    assert not verdict.ok and f"{name} was changed" in verdict.message
