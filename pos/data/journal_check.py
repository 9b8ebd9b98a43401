"""``journal.verify()``: everything the database itself can prove about the fiscal journal.

1. the chain (``journal.verify_records``): every hash, gap-free seq, ticket records numbered 1, 2, 3...;
2. the signatures: the last record's and every key and closure record's (every record's with
   ``all_signatures``), with the key this till holds in its key file; signatures left over
   beyond the last record; a key that changed;
3. the head file: missing, of another journal, ahead of the journal, a different hash, a
   ticket number the database no longer has, a signature that is not the key's;
4. external anchors (``Anchor``: typed from a printed Z, or the head of a backup or an
   archive): the record they name exists and has their hash, and the genesis is theirs;
5. the rows: every ticket (gap-free from 1), closure and cash movement against its record,
   both ways; every closure's last hash against the chain; closure numbers gap-free.

The closures' figures are recomputed from their tickets by ``pos.fiscal.verify``.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable
from dataclasses import dataclass

from pos.core.i18n import _
from pos.data import journal, signing
from pos.data.journal import EXIT_HEAD, EXIT_KEY, Verdict, _cursor_rows, _fail, _hash_at
from pos.data.models import database


@dataclass(frozen=True)
class Anchor:
    """A point of the chain known outside the database: record ``seq`` had ``hash`` (and, from a head
    or an archive, the genesis hash and the last ticket number then)."""

    seq: int
    hash: str
    genesis: str = ""
    ticket: int = 0
    signature: str = ""
    source: str = ""

    @classmethod
    def parse(cls, text: str, source: str = "") -> Anchor:
        """``SEQ:HASH`` (typed from a printed Z), the QR code's ``SEQ:HASH:FINGERPRINT``, or
        the text of a head file (``seq hash genesis ticket signature``).  Raises ValueError."""
        text = text.strip()
        if text.lower().startswith("pos-anchor:"):
            text = text[len("pos-anchor:"):]
        if ":" in text and " " not in text:
            seq, _sep, rest = text.partition(":")
            digest = rest.split(":")[0].strip().lower()
            if not seq.strip().isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError(_("an anchor is SEQ:HASH (the record number and its 64-character hash)"))
            return cls(int(seq), digest, source=source)
        head = journal.parse_head(text)
        return cls(head.seq, head.hash, head.genesis, head.ticket, head.signature, source)


def _key_at(keys: list[tuple[int, str]], seq: int) -> str | None:
    """The public key in force at record ``seq`` (the last one named at or before it)."""
    i = bisect.bisect_right([k[0] for k in keys], seq)
    return keys[i - 1][1] if i else None


def _signatures(v: Verdict, all_signatures: bool, notes: list[str]) -> Verdict | None:
    n, keys = v.records, v.keys
    trusted = signing.file_public_key()
    if not keys:
        if trusted is not None:
            return _fail(n, 1, _("the journal names no signing key, but this till has one: the journal was "
                                 "rebuilt or replaced"))
        notes.append(_("the journal is not signed (written before signing existed)"))
        return None
    current = keys[-1][1]
    fp = signing.pretty(signing.fingerprint(current))
    if trusted is None:
        v.code = v.code or EXIT_KEY
        v.warnings.append(_("no key file next to the database: the signatures were checked with the key the "
                            "journal names ({fp}); only a printed Z or an anchor vouches for it").format(fp=fp))
    elif trusted != current:
        return _fail(n, keys[-1][0], _("the journal's signing key ({journal}) is not this till's ({till}): the "
                                       "journal was re-signed").format(
            journal=fp, till=signing.pretty(signing.fingerprint(trusted))))
    for (seq, public), (_s, before) in zip(keys[1:], keys):
        if public != before:
            v.code = v.code or EXIT_KEY
            v.warnings.append(_("the signing key changed at record {seq} (from {old} to {new}): the records "
                                "before it are vouched for by a key this till no longer holds").format(
                seq=seq, old=signing.pretty(signing.fingerprint(before)), new=fp))
    start = keys[0][0]
    last_seq = v.last[0] if v.last else 0
    extra = database.execute_sql("SELECT MAX(seq) FROM journal_signature").fetchone()[0]
    if extra is not None and extra > last_seq:
        return _fail(n, last_seq + 1, _("record {seq} has a signature but no record: the end of the journal "
                                        "was cut off").format(seq=extra))
    if all_signatures:
        rows = signing.signatures(start)
        what = _("every record's signature")
    else:
        wanted = sorted({last_seq, *(k[0] for k in keys), *(r[0] for r in database.execute_sql(
            "SELECT seq FROM journal WHERE kind = 'closure' AND seq >= ?", (start,)))})
        rows = ((seq, _hash_at(seq), signing.signature_of(seq)) for seq in wanted)
        what = _("the signatures of the last record, the keys and the closures")
    checked = 0
    for seq, digest, signature in rows:
        checked += 1
        public = _key_at(keys, seq)
        if public is None or digest is None:
            continue
        if signature is None:
            return _fail(n, seq, _("record {seq} has no signature").format(seq=seq))
        if not signing.check(public, signing.record_message(seq, digest), signature):
            return _fail(n, seq, _("record {seq}: its signature does not match its hash (the record was changed "
                                   "and the chain re-hashed, or the signature replaced)").format(seq=seq))
    if start > 1:
        notes.append(_("signing started at record {seq}: the records before it are covered by the later "
                       "signatures").format(seq=start))
    notes.append(_("{what} checked ({n}) with key {fp}").format(what=what, n=checked, fp=fp))
    return None


def _head(v: Verdict, notes: list[str], head: journal.Head | None) -> Verdict | None:
    path = journal.head_path()
    if path is None:
        return None
    n, last = v.records, v.last
    if head is None:
        v.code = EXIT_HEAD  # the head's code first, when both
        v.warnings.append(_("no head file ({path}): a cut-off end of the journal cannot be detected without an "
                            "anchor").format(path=path.name))
        return None
    if not journal._same_chain(head):
        v.code = EXIT_HEAD  # the head's code first, when both
        v.warnings.append(_("the head file belongs to another journal (genesis {genesis}…): the journal was "
                            "rebuilt, or the database replaced").format(genesis=head.genesis[:16]))
        return None
    if last is None or head.seq > last[0]:
        return _fail(n, (last[0] + 1) if last else 1,
                     _("the journal was cut off: the head file names record {head}, the journal ends at "
                       "{last}").format(head=head.seq, last=last[0] if last else 0))
    if _hash_at(head.seq) != head.hash:
        return _fail(n, head.seq, _("record {seq} differs from the head file's hash").format(seq=head.seq))
    tickets = max([journal.last_ticket_number()] + [last for _first, last in journal.restored_gaps()])
    if head.ticket > tickets:
        return _fail(n, None, _("the head file has seen ticket {head}, the tickets end at {last}: the end was "
                                "cut off").format(head=head.ticket, last=tickets))
    public = _key_at(v.keys, head.seq)
    if public is not None and not signing.check(public, head.signed_message(), head.signature):
        return _fail(n, head.seq, _("the head file is not signed by the journal's key: it was rewritten"))
    notes.append(_("head file at record {seq}").format(seq=head.seq))
    return None


def _anchor(v: Verdict, anchor: Anchor, notes: list[str]) -> Verdict | None:
    n, last = v.records, v.last
    where = anchor.source or f"{anchor.seq}:{anchor.hash[:16]}…"
    if anchor.genesis and anchor.genesis != journal._genesis():
        return _fail(n, 1, _("anchor {anchor}: the journal does not start with its genesis: it was rebuilt "
                             "from a new genesis, or belongs to another till").format(anchor=where))
    if last is None or anchor.seq > last[0]:
        return _fail(n, (last[0] + 1) if last else 1, _("anchor {anchor}: the journal was cut off: the anchor "
                                                        "names record {seq}, the journal ends at {last}").format(
            anchor=where, seq=anchor.seq, last=last[0] if last else 0))
    if _hash_at(anchor.seq) != anchor.hash:
        return _fail(n, anchor.seq, _("anchor {anchor}: record {seq} has another hash: the journal was changed "
                                      "up to it and re-hashed").format(anchor=where, seq=anchor.seq))
    if anchor.ticket > journal.last_ticket_number():
        return _fail(n, None, _("anchor {anchor}: it has seen ticket {ticket}, the tickets end at {last}: the "
                                "end was cut off").format(anchor=where, ticket=anchor.ticket,
                                                          last=journal.last_ticket_number()))
    notes.append(_("anchor {seq} matches").format(seq=anchor.seq))
    return None


def _tickets(n: int) -> Verdict | None:
    # every ticket row is what its journal record says, and every ticket has one
    journaled = _cursor_rows("SELECT CAST(ref AS INTEGER), payload, seq FROM journal WHERE kind = 'ticket' "
                             "ORDER BY CAST(ref AS INTEGER)")
    rec = next(journaled, None)
    for number, payload in journal.ticket_payloads():
        if rec is not None and rec[0] < number:
            return _fail(n, rec[2], _("ticket {number} is in the journal (record {seq}) but not in the tickets")
                         .format(number=rec[0], seq=rec[2]))
        if rec is None or rec[0] != number:
            return _fail(n, None, _("ticket {number} has no journal record: it was inserted outside the till")
                         .format(number=number))
        if rec[1] != payload:
            return _fail(n, rec[2], _("ticket {number} differs from its journal record {seq}: it was changed").format(
                number=number, seq=rec[2]))
        rec = next(journaled, None)
    if rec is not None:
        return _fail(n, rec[2], _("ticket {number} is in the journal (record {seq}) but not in the tickets").format(
            number=rec[0], seq=rec[2]))
    count, low, high = database.execute_sql('SELECT COUNT(*), MIN("number"), MAX("number") FROM ticket').fetchone()
    if count and (low != 1 or high != count):
        skipped = journal.restored_gaps()  # numbers a restore skipped, documented in the journal
        if low != 1 and not any(first == 1 and last == low - 1 for first, last in skipped):
            return _fail(n, None, _("ticket numbers are not gap-free: ticket {number} is missing").format(number=1))
        for (gap, upto) in database.execute_sql(
                'SELECT t."number" + 1, (SELECT MIN(u."number") FROM ticket u WHERE u."number" > t."number") - 1 '
                'FROM ticket t WHERE t."number" < ? AND NOT EXISTS (SELECT 1 FROM ticket u WHERE u."number" = '
                't."number" + 1) ORDER BY t."number"', (high,)).fetchall():
            if (gap, upto) not in skipped:
                return _fail(n, None, _("ticket numbers are not gap-free: ticket {number} is missing").format(
                    number=gap))
    return None


def _closures(n: int) -> Verdict | None:
    cols = ", ".join(f'"{c}"' for c in journal.CLOSURE_FIELDS)
    numbers: dict[str, int] = {}
    for row in database.execute_sql(f"SELECT journal_seq, {cols} FROM closure ORDER BY id").fetchall():
        seq, fields = row[0], dict(zip(journal.CLOSURE_FIELDS, row[1:]))
        fields["data"] = json.loads(fields["data"])
        record = database.execute_sql("SELECT payload FROM journal WHERE seq = ? AND kind = 'closure'",
                                      (seq,)).fetchone()
        name = f"{fields['kind']} {fields['number']}"
        if record is None or json.loads(record[0]) != fields:
            return _fail(n, seq, _("closure {name} differs from its journal record {seq}").format(name=name, seq=seq))
        numbers[fields["kind"]] = numbers.get(fields["kind"], 0) + 1
        if fields["number"] != numbers[fields["kind"]]:
            return _fail(n, seq, _("closure {name}: closure numbers are not gap-free").format(name=name))
        last_seq = fields["data"].get("last_seq")
        if last_seq is not None and (last_seq >= seq or _hash_at(last_seq) != fields["last_hash"]):
            return _fail(n, seq, _("closure {name}: its last hash is not record {last}'s").format(
                name=name, last=last_seq))
    # ...and every closure record still has its row (a deleted Z would let the day be closed again)
    for seq, ref in database.execute_sql(
            "SELECT j.seq, j.ref FROM journal j WHERE j.kind = 'closure' AND NOT EXISTS "
            "(SELECT 1 FROM closure c WHERE c.journal_seq = j.seq) ORDER BY j.seq").fetchall():
        return _fail(n, seq, _("closure {ref} of journal record {seq} was deleted").format(ref=ref, seq=seq))
    return None


def _cash_movements(n: int) -> Verdict | None:
    """Cash movements (they make the expected cash) against their events, both ways."""
    events = {}
    for seq, payload in database.execute_sql(
            "SELECT seq, payload FROM journal WHERE kind = 'event' AND ref IN ('cash_float', 'cash_in', 'cash_out')"):
        event = json.loads(payload)
        events[event["data"].get("movement")] = (seq, event)
    for mid, kind, amount, reason in database.execute_sql(
            "SELECT id, kind, amount, reason FROM cash_movement ORDER BY id").fetchall():
        seq, event = events.pop(mid, (None, None))
        if event is None:
            return _fail(n, None, _("cash movement {id} has no journal record: it was inserted outside the till")
                         .format(id=mid))
        if (event["kind"], event["data"].get("amount"), event["data"].get("reason")) != (f"cash_{kind}", amount,
                                                                                         reason):
            return _fail(n, seq, _("cash movement {id} differs from its journal record {seq}").format(id=mid, seq=seq))
    for mid, (seq, _event) in sorted(events.items(), key=lambda e: e[1][0]):
        return _fail(n, seq, _("cash movement {id} of journal record {seq} was deleted").format(id=mid, seq=seq))
    return None


def _vouchers(n: int) -> Verdict | None:
    from pos.data import vouchers

    problem = vouchers.journal_mismatch()
    return _fail(n, problem[0], problem[1]) if problem else None


def verify(anchors: Iterable[Anchor] = (), all_signatures: bool = False) -> Verdict:
    # the head file first, then one read transaction: a sale committed meanwhile (and its head file)
    # is in the snapshot, never a head ahead of it taken for a cut-off journal
    head = journal.read_head()
    with database.atomic():
        return _verify(head, list(anchors), all_signatures)


def _verify(head: journal.Head | None, anchors: list[Anchor], all_signatures: bool) -> Verdict:
    v = journal.verify_records(journal.journal_rows())
    if not v.ok:
        return v
    notes: list[str] = []
    checks = [lambda: _signatures(v, all_signatures, notes), lambda: _head(v, notes, head)]
    checks += [lambda a=a: _anchor(v, a, notes) for a in anchors]
    checks += [lambda: _tickets(v.records), lambda: _closures(v.records), lambda: _cash_movements(v.records),
               lambda: _vouchers(v.records)]
    for check in checks:
        failed = check()
        if failed is not None:
            failed.keys, failed.last = v.keys, v.last
            return failed
    v.message = "; ".join([_("{n} records, chain intact, tickets and closures match the journal").format(
        n=v.records), *notes])
    return v
