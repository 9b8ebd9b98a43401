"""The keyboard-wedge burst logic: what happens to each key, on the keys' own times."""

from __future__ import annotations

import pytest

from pos.hardware.wedge import WedgeBuffer


def burst(buf: WedgeBuffer, text: str, t: float, gap_ms: float = 8, clock: str = "") -> tuple[float, list]:
    verdicts = []
    for ch in text:
        verdicts.append(buf.key(ch, t, clock))
        t += gap_ms / 1000
    return t, verdicts


def test_a_burst_is_held_from_the_field_and_its_first_key_taken_back():
    buf = WedgeBuffer()
    t, verdicts = burst(buf, "4006381333931", 10.0)
    assert not verdicts[0].hold and verdicts[0].take_back == ""  # the first key may be typing: the field gets it
    assert verdicts[1].hold and verdicts[1].take_back == "4"  # the second fast key: a burst, "4" leaves the field
    assert all(v.hold and not v.take_back and not v.give_back for v in verdicts[2:])
    end = buf.end(t)
    assert end.code == "4006381333931" and end.hold and end.take_back == ""


def test_the_gap_is_measured_on_the_keys_times_not_when_they_are_handled():
    """The keys' times are what counts: a frame that handles the second half of a code
    300 ms late does not matter (the caller passes the X server's times)."""
    buf = WedgeBuffer(max_gap_ms=50)
    t, _ = burst(buf, "400638", 10.0)
    t, _ = burst(buf, "1333931", t)  # handled after a stall, typed 8 ms after the "8"
    assert buf.enter(t) == "4006381333931"


def test_typing_is_given_back_to_the_field():
    buf = WedgeBuffer()
    _, (a, b) = burst(buf, "ab", 10.0, gap_ms=20)  # a person's key rollover: fast, but no scan
    assert b.hold and b.take_back == "a"
    c = buf.key("c", 10.5)  # a pause, then the next key: "ab" was typing
    assert c.give_back == "ab" and not c.hold
    end = buf.end(11.5)  # Enter long after: typing, the field validates its text
    assert end.code is None and end.give_back == "" and not end.hold


def test_a_pause_gives_the_held_keys_back_until_the_burst_goes_on():
    buf = WedgeBuffer()
    t, _ = burst(buf, "123", 10.0)
    assert buf.quiet().give_back == "123"  # shown in the field while nothing comes
    more = buf.key("4", t)  # the burst goes on after all (a stall longer than the pause)
    assert more.hold and more.take_back == "123"
    t, _ = burst(buf, "5678", t + 0.008)
    assert buf.end(t).code == "12345678"


def test_a_short_burst_or_a_late_enter_is_no_scan():
    buf = WedgeBuffer(min_length=4)
    t, _ = burst(buf, "123", 10.0)
    assert buf.end(t).give_back == "123"
    t, _ = burst(buf, "12345", 20.0)
    end = buf.end(t + 0.5)
    assert end.code is None and end.give_back == "12345"


def test_times_from_two_clocks_are_never_compared():
    buf = WedgeBuffer()
    buf.key("1", 10.0, "x11")
    assert not buf.key("2", 10.001, "app").hold  # another clock: a new burst
    assert buf.pending == "2"
    assert not buf.key("3", 9.0, "app").hold  # a key stamped before the last one: a new burst too
    assert buf.pending == "3"


def test_prefix_is_required_and_stripped():
    buf = WedgeBuffer(prefix="]E")
    t, _ = burst(buf, "]E4006381333931", 10.0)
    assert buf.enter(t) == "4006381333931"
    t, _ = burst(buf, "4006381333931", 20.0)
    end = buf.end(t)
    assert end.code is None and end.give_back == "4006381333931"


def test_suffix_none_ends_a_code_when_the_keys_pause():
    buf = WedgeBuffer(suffix="none")
    burst(buf, "4006381333931", 10.0)
    quiet = buf.quiet()
    assert quiet.code == "4006381333931" and quiet.take_back == ""
    assert buf.pending == ""
    buf.key("x", 20.0)
    assert buf.quiet().code is None  # one key is typing


def test_an_unknown_suffix_is_refused():
    with pytest.raises(ValueError):
        WedgeBuffer(suffix="escape")


def test_azerty_digits_and_the_layouts_character():
    buf = WedgeBuffer()
    t, _ = burst(buf, "&é\"'(-è_çà&é\"", 10.0)
    assert buf.enter(t) == "1234567890123"
    # with text input on, each key's character comes from the system's layout and Shift
    buf.key("a", 20.0)
    buf.retype("A")
    buf.key("b", 20.005)
    buf.retype("B")
    t, _ = burst(buf, "123", 20.01, clock="")
    assert buf.enter(t) == "AB123"
