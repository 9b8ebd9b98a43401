"""Login and a scan on the real display: X mouse clicks on the PIN pad, a scanner's burst."""

from __future__ import annotations

from pos.demo import demo_ean


def test_login_on_the_pin_pad_then_scans(xtill):
    xtill.login("Marie", "1234")
    assert xtill.query("SELECT user_name FROM event WHERE kind = 'login'") == [("Marie",)]
    xtill.scan(demo_ean(1))
    xtill.wait_lines([("Baguette tradition", 1000)])
    xtill.scan(demo_ean(1))
    xtill.scan(demo_ean(3))
    xtill.wait_lines([("Baguette tradition", 2000), ("Croissant", 1000)])
