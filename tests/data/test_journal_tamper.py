"""The tamper suite: each change an attacker with a database editor can make, replayed on a shop with
tickets before and after a Z, triggers dropped.

Every tampering is caught by the signatures alone while the key was not stolen, and, when the
attacker re-signed everything with the stolen key (and rewrote the closures, the head file and the
hashes to match), as soon as an external anchor is given: the head of a backup made before the
tampering, or, for what the Z covers, the anchor printed on the Z."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.actors import MANAGER

from pos.data import journal, signing
from pos.data.journal import ALG, ZERO
from pos.data.journal_check import Anchor
from pos.fiscal import archive, closures, verify

TABLES = ("journal", "journal_signature", "ticket", "ticket_line", "ticket_vat", "ticket_payment", "closure",
          "cash_movement")


def sell(till, *codes: str) -> int:
    for code in codes:
        till.scan(code)
    till.add_payment("cash")
    return till.validate().number


class World:
    """The shop: tickets 1-3, Z 1, tickets 4-6; a backup's head and the Z's printed anchor."""

    def __init__(self, shop, till, tmp_path: Path) -> None:
        self.db = shop.database
        for _ in range(3):
            sell(till, "3760123000017", "3760123000024")
        self.z = closures.close(MANAGER, "day")
        for _ in range(3):
            sell(till, "3760123000031")
        till.logout()
        self.z_anchor = Anchor.parse(closures.anchor(self.z)["qr"])
        archive.backup(MANAGER, tmp_path / "backup.sqlite3")
        self.backup_anchor = Anchor.parse((tmp_path / "backup.sqlite3.head").read_text("ascii"))
        self.stolen = signing.private_key()
        self.conn = sqlite3.connect(self.db)
        for table in TABLES:
            for op in ("update", "delete"):
                self.conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
        self.key: Ed25519PrivateKey | None = None  # the attacker's: None, or the stolen one

    # ------------------------------------------------------------ what the attacker reads
    def one(self, sql: str, *params):
        return self.conn.execute(sql, params).fetchone()

    def ticket_seq(self, number: int) -> int:
        return self.one("SELECT seq FROM journal WHERE kind = 'ticket' AND ref = ?", str(number))[0]

    def last_seq(self) -> int:
        return self.one("SELECT MAX(seq) FROM journal")[0]

    # ------------------------------------------------------------ plain edits
    def sql(self, *statements: str) -> None:
        for statement in statements:
            self.conn.execute(statement)
        self.conn.commit()

    def delete_ticket_rows(self, number: int) -> None:
        tid = f"(SELECT id FROM ticket WHERE number = {number})"
        self.sql(*(f"DELETE FROM {t} WHERE ticket_id = {tid}" for t in ("ticket_line", "ticket_vat", "ticket_payment")),
                 f"DELETE FROM ticket WHERE number = {number}")

    def delete_record(self, seq: int, shift: bool = False) -> None:
        """Delete a record and its signature; ``shift``: move the later ones down (and the closures' seqs)."""
        self.sql(f"DELETE FROM journal WHERE seq = {seq}", f"DELETE FROM journal_signature WHERE seq = {seq}")
        if shift:
            for table in ("journal", "journal_signature"):
                self.sql(f"UPDATE {table} SET seq = seq + 1000000 WHERE seq > {seq}",
                         f"UPDATE {table} SET seq = seq - 1000001 WHERE seq > 1000000")
            self.sql(f"UPDATE closure SET journal_seq = journal_seq - 1 WHERE journal_seq > {seq}",
                     f"UPDATE closure SET data = json_set(data, '$.last_seq', json_extract(data, '$.last_seq') - 1) "
                     f"WHERE json_extract(data, '$.last_seq') >= {seq}")

    def cut_tail(self, tickets: int) -> None:
        """Delete the last ``tickets`` tickets and every record from the first of them on."""
        last = self.one("SELECT MAX(number) FROM ticket")[0]
        first_seq = self.ticket_seq(last - tickets + 1)
        for number in range(last - tickets + 1, last + 1):
            self.delete_ticket_rows(number)
        self.sql(f"DELETE FROM journal WHERE seq >= {first_seq}")
        self.sql(f"DELETE FROM journal_signature WHERE seq >= {first_seq}")

    def lower(self, number: int, cents: int = 100) -> None:
        """Take ``cents`` off a ticket: its first line, its VAT, its payment, its totals; then its record's
        payload rebuilt from the rows, the way the till writes it."""
        tid = self.one("SELECT id FROM ticket WHERE number = ?", number)[0]
        line = self.one("SELECT MIN(id) FROM ticket_line WHERE ticket_id = ?", tid)[0]
        vat = self.one("SELECT MIN(id) FROM ticket_vat WHERE ticket_id = ?", tid)[0]
        pay = self.one("SELECT MIN(id) FROM ticket_payment WHERE ticket_id = ?", tid)[0]
        self.sql(f"UPDATE ticket_line SET total = total - {cents}, unit_price = unit_price - {cents} WHERE id = {line}",
                 f"UPDATE ticket_vat SET total = total - {cents}, excl = excl - {cents} WHERE id = {vat}",
                 f"UPDATE ticket_payment SET amount = amount - {cents} WHERE id = {pay}",
                 f"UPDATE ticket SET subtotal = subtotal - {cents}, total = total - {cents}, paid = paid - {cents} "
                 f"WHERE id = {tid}")
        self.rebuild_payload(number)

    def rebuild_payload(self, number: int, ref: int | None = None) -> None:
        payload = self.one(f"SELECT {journal._TICKET} FROM ticket t WHERE t.number = ?", number)[0]
        self.conn.execute("UPDATE journal SET payload = ?, ref = ? WHERE kind = 'ticket' AND ref = ?",
                          (payload, str(number), str(number if ref is None else ref)))
        self.conn.commit()

    # ------------------------------------------------------------ re-hashing, re-signing, the head
    def rehash(self, start: int = 1, genesis: bool = False) -> None:
        """Recompute every hash from record ``start``; a closure's last hash follows, in its row and its
        record.  Signatures are redone with ``self.key`` (the stolen key), or left as they were."""
        prev = self.one("SELECT hash FROM journal WHERE seq = ?", start - 1)[0] if start > 1 else ZERO
        rows = self.conn.execute("SELECT seq, at, kind, ref, payload FROM journal WHERE seq >= ? ORDER BY seq",
                                 (start,)).fetchall()
        hashes: dict[int, str] = {}
        for seq, at, kind, ref, payload in rows:
            if kind == "genesis" and genesis:  # a new genesis: a new fingerprint of the database
                payload = journal.canonical({**json.loads(payload), "fingerprint": "f" * 64})
            if kind == "closure":
                record = json.loads(payload)
                last_seq = record["data"]["last_seq"]
                new = hashes.get(last_seq) or self.one("SELECT hash FROM journal WHERE seq = ?", last_seq)[0]
                record["last_hash"] = record["data"]["last_hash"] = new
                payload = journal.canonical(record)
                self.conn.execute("UPDATE closure SET last_hash = ?, data = ?, journal_seq = ? WHERE kind = ? AND "
                                  "number = ?", (new, journal.canonical(record["data"]), seq, record["kind"],
                                                 record["number"]))
            digest = journal.record_hash(prev, ALG, seq, at, kind, ref, payload)
            self.conn.execute("UPDATE journal SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                              (payload, prev, digest, seq))
            if self.key is not None:
                self.conn.execute("INSERT OR REPLACE INTO journal_signature VALUES (?, ?)",
                                  (seq, signing.sign(self.key, signing.record_message(seq, digest))))
            hashes[seq] = prev = digest
        self.conn.commit()

    def head_path(self) -> Path:
        return Path(f"{self.db}.head")

    def rewrite_head(self) -> None:
        """A head file naming the journal's end as it is now, signed with the stolen key (else unsigned)."""
        seq, digest = self.one("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
        head = journal.Head(seq, digest, self.one("SELECT hash FROM journal WHERE seq = 1")[0],
                            self.one("SELECT MAX(number) FROM ticket")[0])
        if self.key is not None:
            head = head._replace(signature=signing.sign(self.key, head.signed_message()))
        self.head_path().write_text(head.text(), "ascii")

    def delete_head(self) -> None:
        self.head_path().unlink()


# ---------------------------------------------------------------- the tamperings
def changed_ticket_row(w: World) -> None:
    w.sql("UPDATE ticket SET total = total - 100 WHERE number = 5")


def changed_payment(w: World) -> None:
    w.sql("UPDATE ticket_payment SET amount = amount - 100 WHERE ticket_id = (SELECT id FROM ticket WHERE number = 2)")


def changed_payload(w: World) -> None:
    w.sql(f"UPDATE journal SET payload = replace(payload, '\"total\":120', '\"total\":12') WHERE seq = "
          f"{w.ticket_seq(5)}")


def deleted_ticket_rows(w: World) -> None:
    w.delete_ticket_rows(5)


def deleted_ticket_and_record(w: World) -> None:
    seq = w.ticket_seq(5)
    w.delete_ticket_rows(5)
    w.delete_record(seq)


def inserted_ticket(w: World) -> None:
    w.sql("INSERT INTO ticket (number, kind, status, channel, created_at, user_id, user_name, subtotal, "
          "discount_amount, total, paid, change) VALUES (7, 'sale', 'paid', 'pos', '2026-01-01T10:00:00+01:00', 1, "
          "'Claire', 100, 0, 100, 100, 0)")


def swapped_records(w: World) -> None:
    a, b = w.ticket_seq(4), w.ticket_seq(5)
    w.sql(f"UPDATE journal SET seq = -1 WHERE seq = {a}", f"UPDATE journal SET seq = {a} WHERE seq = {b}",
          f"UPDATE journal SET seq = {b} WHERE seq = -1")


def cut_tail_head_kept(w: World) -> None:
    w.cut_tail(2)


def cut_tail_head_deleted(w: World) -> None:
    w.cut_tail(2)
    w.delete_head()


def cut_tail_head_rewritten(w: World) -> None:
    w.cut_tail(2)
    w.rewrite_head()


def _lower_and_rehash(w: World, number: int) -> None:
    w.lower(number)
    w.rehash(w.ticket_seq(number))


def rehashed_head_kept(w: World) -> None:
    _lower_and_rehash(w, 5)


def rehashed_head_rewritten(w: World) -> None:
    _lower_and_rehash(w, 5)
    w.rewrite_head()


def rehashed_head_deleted(w: World) -> None:
    _lower_and_rehash(w, 5)
    w.delete_head()


def rehashed_inside_the_z(w: World) -> None:
    _lower_and_rehash(w, 2)
    w.rewrite_head()


def rehashed_from_a_new_genesis(w: World) -> None:
    w.lower(5)
    w.rehash(1, genesis=True)
    w.rewrite_head()


def last_sale_erased(w: World) -> None:
    w.cut_tail(1)
    w.rewrite_head()


def deleted_z(w: World) -> None:
    seq = w.z["journal_seq"]
    w.sql("DELETE FROM closure WHERE kind = 'day' AND number = 1")
    w.delete_record(seq, shift=True)
    w.rehash(seq)
    w.rewrite_head()


def deleted_ticket_inside_the_z(w: World) -> None:
    seq = w.ticket_seq(2)
    w.delete_ticket_rows(2)
    w.delete_record(seq, shift=True)
    last = w.one("SELECT MAX(number) FROM ticket")[0]
    for number in range(3, last + 1):  # the numbers shifted down, the records rebuilt
        w.sql(f"UPDATE ticket SET number = {number - 1} WHERE number = {number}")
        w.rebuild_payload(number - 1, ref=number)
    w.sql("UPDATE closure SET last_ticket = last_ticket - 1, ticket_count = ticket_count - 1 WHERE kind = 'day'")
    w.rehash(seq)
    w.rewrite_head()


TAMPERINGS = [changed_ticket_row, changed_payment, changed_payload, deleted_ticket_rows, deleted_ticket_and_record,
              inserted_ticket, swapped_records, cut_tail_head_kept, cut_tail_head_deleted, cut_tail_head_rewritten,
              rehashed_head_kept, rehashed_head_rewritten, rehashed_head_deleted, rehashed_inside_the_z,
              rehashed_from_a_new_genesis, last_sale_erased, deleted_z, deleted_ticket_inside_the_z]
# what the Z's printed anchor covers: the tickets and the records up to the Z itself
INSIDE_THE_Z = {changed_payment, rehashed_inside_the_z, rehashed_from_a_new_genesis, deleted_z,
                deleted_ticket_inside_the_z}


@pytest.fixture
def world(shop, till, tmp_path):
    w = World(shop, till, tmp_path)
    verdict = verify.verify([w.z_anchor, w.backup_anchor])
    assert verdict.ok and verdict.code == 0, (verdict.message, verdict.warnings)
    yield w
    w.conn.close()


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=lambda t: t.__name__)
def test_caught_by_the_signatures_alone(world, tampering):
    tampering(world)
    verdict = verify.verify()
    if tampering is cut_tail_head_deleted:  # the chain and its signatures are whole: only the head tells
        assert verdict.ok and verdict.code == journal.EXIT_HEAD and "no head file" in verdict.warnings[0]
    else:
        assert not verdict.ok and verdict.code == journal.EXIT_TAMPERED, verdict.message


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=lambda t: t.__name__)
def test_caught_with_the_stolen_key_by_an_external_anchor(world, tampering):
    world.key = world.stolen
    tampering(world)
    anchors = [world.backup_anchor] + ([world.z_anchor] if tampering in INSIDE_THE_Z else [])
    for anchor in anchors:
        verdict = verify.verify([anchor])
        assert not verdict.ok and verdict.code == journal.EXIT_TAMPERED, (anchor, verdict.message)


def test_a_resigned_change_with_no_anchor_is_what_the_anchors_are_for(world):
    """The limit, stated: re-signed with the stolen key, head rewritten, a change after the last Z passes
    everything the database can check by itself."""
    world.key = world.stolen
    rehashed_head_rewritten(world)
    assert verify.verify().ok
    assert verify.verify([world.z_anchor]).ok  # the Z came before the change


def test_a_cut_tail_never_gives_a_number_twice(world, till):
    from pos.data import users

    world.cut_tail(2)  # tickets 5 and 6 gone, the head file kept: it has seen ticket 6
    till.login(users.find_user("Marie").id, "1234")
    assert sell(till, "3760123000017") == 7
    verdict = verify.verify()
    assert not verdict.ok and "deletion detected" in verdict.message


def test_an_archive_head_is_an_anchor(world, tmp_path):
    from pos.data import common

    folder = tmp_path / "archive"
    archive.export(MANAGER, common.now_iso()[:7], folder)
    assert archive.verify(folder).ok
    anchor = Anchor.parse((folder / "HEAD").read_text("ascii"), source="HEAD")
    assert verify.verify([anchor]).ok
    world.key = world.stolen
    rehashed_head_rewritten(world)
    verdict = verify.verify([anchor])
    assert not verdict.ok and "anchor HEAD" in verdict.message


def test_a_forged_archive_signature_is_detected(world, tmp_path):
    from pos.data import common

    folder = tmp_path / "archive"
    archive.export(MANAGER, common.now_iso()[:7], folder)
    (folder / archive.SIGNATURE).write_text("00" * 64 + "\n", "ascii")
    verdict = archive.verify(folder)
    assert not verdict.ok and "signature" in verdict.message


def test_a_replaced_key_file_is_detected(world):
    world.head_path()  # the attacker replaces the till's key with one of theirs
    key_file = Path(f"{world.db}.{signing.KEY_FILE}")
    key_file.unlink()
    signing.forget()
    signing._write_new(key_file)
    verdict = verify.verify()
    assert not verdict.ok and "is not this till's" in verdict.message


def test_a_lost_key_file_is_reported(world):
    Path(f"{world.db}.{signing.KEY_FILE}").unlink()
    verdict = verify.verify()
    assert verdict.ok and verdict.code == journal.EXIT_KEY and "no key file" in verdict.warnings[0]
