"""Keyboard-wedge (USB HID) scanners: telling a scanner's burst of keys from a person typing.

No Kivy here: the screens feed :class:`WedgeBuffer` every character key and the end key
(Enter, or Tab) with the time of each *as the operating system stamped it* (the X server's
time of the key press), so that one slow frame of the UI never splits a scan: keys that
waited in the queue during the frame keep the gaps they were typed with.

A scanner "types" a whole code in a burst of keys a few milliseconds apart, then its suffix.
The buffer says, key by key, what the caller does with it (a :class:`KeyVerdict`): the
first key of a burst may go to a focused text field; from the second fast key on, the keys
are held back from the field (and the first one taken back out of it); a burst that was no
scan (too short, no suffix in time) is given back to the field.
"""

from __future__ import annotations

from dataclasses import dataclass

AZERTY_DIGITS = "&é\"'(-è_çà"  # what a scanner set to a US keyboard "types" on a French system
AZERTY_TO_DIGITS = str.maketrans(AZERTY_DIGITS, "1234567890")
SUFFIXES = ("enter", "tab", "none")


@dataclass
class KeyVerdict:
    hold: bool = False  # keep this key from the focused field: it belongs to a scanner's burst
    take_back: str = ""  # keys of this burst that the field already got: remove them from its end
    give_back: str = ""  # held keys that were typing after all: give them to the field, before this key
    code: str | None = None  # a whole scan


class WedgeBuffer:
    """The burst being typed and what to do with each key.

    ``t`` is in seconds; ``clock`` names where it comes from (the X server, SDL, the app):
    times from two clocks are never compared (a change of clock starts a new burst).
    ``max_gap_ms`` is the largest gap between two keys of a scan, and between its last key
    and the suffix.  ``prefix`` (optional) is what the scanner sends before each code: a
    burst without it is no scan, and it is not part of the code.  ``suffix`` is ``enter``
    (the default of most scanners), ``tab`` or ``none`` (a code ends when the keys pause:
    the caller calls :meth:`quiet`).
    """

    def __init__(self, max_gap_ms: int = 50, min_length: int = 4, prefix: str = "", suffix: str = "enter") -> None:
        if suffix not in SUFFIXES:
            raise ValueError(f"unknown scanner suffix {suffix!r}")
        self.max_gap_ms = max_gap_ms
        self.min_length = min_length
        self.prefix = prefix
        self.suffix = suffix
        self._keys: list[str] = []
        self._shown = 0  # the first keys of the burst that the focused field has got
        self._last: float | None = None
        self._clock = ""

    @property
    def pending(self) -> str:
        """The keys of the burst being typed (what a scanner has sent so far)."""
        return "".join(self._keys)

    def _fast(self, t: float, clock: str) -> bool:
        # a key stamped before the last one is from another clock's epoch or a stale burst: not fast
        return self._last is not None and clock == self._clock and 0 <= (t - self._last) * 1000 <= self.max_gap_ms

    def key(self, text: str, t: float, clock: str = "") -> KeyVerdict:
        """A character key, typed at ``t``."""
        verdict = KeyVerdict()
        if self._keys and self._fast(t, clock):
            self._keys.append(text)
            verdict.hold = True
            if self._shown:  # a burst after all: its first keys leave the field
                verdict.take_back = "".join(self._keys[:self._shown])
                self._shown = 0
        else:
            verdict.give_back = "".join(self._keys[self._shown:])  # the last burst was typing
            self._keys = [text]
            self._shown = 1
        self._last, self._clock = t, clock
        return verdict

    def retype(self, text: str) -> None:
        """The character the last key really typed (the system's layout and Shift applied)."""
        if self._keys and len(text) == 1:
            self._keys[-1] = text

    def end(self, t: float, clock: str = "") -> KeyVerdict:
        """The suffix key (Enter or Tab), typed at ``t``: a scan, or the keys given back."""
        code = self._code() if self._fast(t, clock) else None
        return self._finish(code)

    def enter(self, t: float, clock: str = "") -> str | None:
        """The code ended by Enter at ``t``, or None (the keys were typing)."""
        return self.end(t, clock).code

    def quiet(self) -> KeyVerdict:
        """The keys have paused (no key for a while, on the caller's clock).

        Without a suffix the burst is a whole code; otherwise held keys are given back to
        the field for now, the burst going on if more fast keys come (they take them back)."""
        if self.suffix == "none":
            return self._finish(self._code() if len(self._keys) > 1 else None)
        verdict = KeyVerdict(give_back="".join(self._keys[self._shown:]))
        self._shown = len(self._keys)
        return verdict

    def _code(self) -> str | None:
        code = "".join(self._keys)
        if self.prefix:
            if not code.startswith(self.prefix):
                return None
            code = code[len(self.prefix):]
        if code and all(c in AZERTY_DIGITS for c in code):
            code = code.translate(AZERTY_TO_DIGITS)
        code = code.strip()
        return code if len(code) >= self.min_length else None

    def _finish(self, code: str | None) -> KeyVerdict:
        if code is not None:
            verdict = KeyVerdict(hold=True, take_back="".join(self._keys[:self._shown]), code=code)
        else:
            verdict = KeyVerdict(give_back="".join(self._keys[self._shown:]))
        self.clear()
        return verdict

    def clear(self) -> None:
        self._keys = []
        self._shown = 0
        self._last = None
        self._clock = ""
