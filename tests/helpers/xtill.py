"""The real till (``pos run``) under Xvfb, driven with real X events (xdotool).

``XServer`` starts Xvfb on a free display.  ``XTill`` starts ``python -m pos --db FILE run
--demo`` on it with ``POS_TEST_LAYOUT`` set: the till writes what it shows and where its
widgets are (pos/screens/testhooks.py), and the driver clicks there and types there as a
cashier and a USB scanner would.  Results are read from the database, opened read-only.
Used by tests/x11 and bench/bench_x11_scan.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZE = (1024, 768)
SCANNER_DELAY_MS = 7  # from one key press to the next: a USB scanner's pace
KEYSYMS = {"-": "minus", " ": "space", ".": "period", "/": "slash", "+": "plus", "$": "dollar", "%": "percent",
           "]": "bracketright", "[": "bracketleft", "\n": "Return", "\t": "Tab"}
CHILD_ENV_DROP = ("SDL_VIDEODRIVER", "KCFG_INPUT_MOUSE", "KCFG_GRAPHICS_MAXFPS", "KCFG_GRAPHICS_WIDTH",
                  "KCFG_GRAPHICS_HEIGHT", "KIVY_NO_CONSOLELOG", "PYTEST_CURRENT_TEST")


def missing_tools() -> list[str]:
    return [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]


class XServer:
    """Xvfb on a display number it picks itself (``-displayfd``)."""

    def __init__(self, size: tuple[int, int] = SIZE) -> None:
        read, write = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24", "-nolisten", "tcp",
             "-noreset"], pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        number = b""
        with os.fdopen(read, "rb") as pipe:
            while not number.endswith(b"\n"):
                chunk = pipe.read(1)
                if not chunk:
                    raise RuntimeError("Xvfb did not start")
                number += chunk
        self.display = f":{int(number)}"
        self.xtest = self._xtest()
        self.pointer: tuple[int, int] | None = None  # where the last click left the pointer

    def _xtest(self):
        """(a python-xlib display, keycode by key name), or None without python-xlib."""
        try:
            from Xlib import XK, display
        except ImportError:
            return None
        conn = display.Display(self.display)
        names = [*"0123456789abcdefghijklmnopqrstuvwxyz", *set(KEYSYMS.values()), "Shift_L"]
        return conn, {name: conn.keysym_to_keycode(XK.string_to_keysym(name)) for name in names}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(args, env={**os.environ, "DISPLAY": self.display}, capture_output=True, text=True,
                              check=check, timeout=60)

    def stop(self) -> None:
        if self.xtest is not None:
            self.xtest[0].close()
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class XTill:
    """One ``pos run`` process on the X server, and what a cashier does with it."""

    def __init__(self, x: XServer, db: Path, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.x, self.db_path, self.workdir = x, db, workdir
        self.user = ""  # who is logged in
        self.layout_path = workdir / "layout.json"
        self.stall_path = workdir / "stall"
        self.log_path = workdir / "pos-run.log"
        child = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROP}
        child.update({
            "DISPLAY": x.display, "POS_TEST_LAYOUT": str(self.layout_path), "POS_TEST_STALL": str(self.stall_path),
            "POS_WINDOW_SIZE": f"{SIZE[0]}x{SIZE[1]}", "KIVY_HOME": str(workdir / "kivy_home"), "KIVY_NO_ARGS": "1",
            "KIVY_NO_FILELOG": "1", "KIVY_CLIPBOARD": "dummy", "POS_NO_SOUND": "1", "LANG": "fr_FR.UTF-8",
        })
        child.update(env or {})
        self._log = open(self.log_path, "w")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen([sys.executable, "-m", "pos", "--db", str(db), "run", "--demo"], cwd=ROOT,
                                     env=child, stdout=self._log, stderr=subprocess.STDOUT)

    # ---------------------------------------------------------------- what the till shows
    def layout(self) -> dict:
        for _ in range(50):
            try:
                return json.loads(self.layout_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                if self.proc.poll() is not None:
                    raise AssertionError(f"pos run ended ({self.proc.returncode}):\n{self.log_tail()}") from None
                time.sleep(0.05)
        raise AssertionError(f"no layout from the till:\n{self.log_tail()}")

    def wait(self, predicate, timeout: float = 10.0, what: str = "") -> dict:
        """Wait until ``predicate(layout)`` holds; returns that layout."""
        end = time.monotonic() + timeout
        while True:
            layout = self.layout()
            try:
                if predicate(layout):
                    return layout
            except (KeyError, IndexError, TypeError):
                pass
            if time.monotonic() > end:
                shot = self.screenshot(self.workdir / "timed-out.png")
                raise AssertionError(f"timed out waiting for {what or predicate}: screen {layout['screen']}, "
                                     f"popups {layout['popups']}, toast {layout['toast']!r} (screenshot {shot})")
            time.sleep(0.03)

    def wait_screen(self, name: str, timeout: float = 30.0) -> dict:
        return self.wait(lambda lay: lay["screen"] == name and not lay["popups"], timeout, f"screen {name}")

    def widget(self, key: str, timeout: float = 10.0) -> dict:
        """A widget on show (``id:pay``, ``text:Valider``, ``PinPopup.id:ok``), enabled and laid out
        (where it is has not changed for a tenth of a second: a new screen or popup has settled)."""
        end = time.monotonic() + timeout
        box = None
        while True:
            layout = self.wait(lambda lay: key in lay["widgets"] and not lay["widgets"][key]["disabled"],
                               max(0.1, end - time.monotonic()), key)
            now = {k: layout["widgets"][key][k] for k in ("x", "y", "w", "h")}
            if now == box:
                return layout["widgets"][key]
            box = now
            time.sleep(0.1)

    def text(self, key: str) -> str:
        return self.layout()["widgets"].get(key, {}).get("text", "")

    # ---------------------------------------------------------------- X events
    def click(self, key: str, timeout: float = 10.0) -> None:
        box = self.widget(key, timeout)
        self.click_at(box["x"] + box["w"] // 2, box["y"] + box["h"] // 2)

    def focus(self, key: str) -> None:
        """Touch a text field and wait until it has the focus (a person types after that; xdotool
        could type first: Kivy handles a touch at its next frame, keys as they come)."""
        self.click(key)
        self.wait(lambda lay: lay["widgets"][key]["focus"], what=f"{key} focused")

    def click_at(self, x: int, y: int) -> None:
        if self.x.pointer == (x, y):  # the same key again (9999): `mousemove --sync` would wait ~15 s for a move
            self.x.run("xdotool", "click", "1")
        else:
            self.x.run("xdotool", "mousemove", "--sync", str(x), str(y), "click", "1")
            self.x.pointer = (x, y)

    def close_keyboard(self) -> None:
        """A touch on the status bar: the focused text field lets go, the on-screen keyboard goes."""
        bar = self.widget("id:bar")
        self.click_at(bar["x"] + 40, bar["y"] + bar["h"] // 2)
        self.wait(lambda lay: not any(w.get("focus") for w in lay["widgets"].values()), what="no field focused")

    def type(self, text: str, delay_ms: int = 120) -> None:
        """Keys at a person's pace (or ``delay_ms`` from one key press to the next); ``\\n`` is Enter."""
        self.x.run("xdotool", "key", "--delay", str(delay_ms), *(KEYSYMS.get(ch, ch) for ch in text))

    def scan(self, code: str, delay_ms: int = SCANNER_DELAY_MS) -> None:
        """What a USB scanner types: the code and Enter, ``delay_ms`` from one key press to the next.

        Through XTest with python-xlib, the X server itself spaces the keys (each fake event
        carries its delay), so a busy machine does not stretch a gap as a sleeping xdotool would;
        xdotool when python-xlib is missing."""
        if self.x.xtest is None:
            self.type(code + "\n", delay_ms)
            return
        display, keycodes = self.x.xtest
        from Xlib import X
        from Xlib.ext import xtest

        shift = keycodes["Shift_L"]
        for ch in code + "\n":
            name = KEYSYMS.get(ch, ch)
            upper = ch.isalpha() and ch.isupper()
            if upper:
                xtest.fake_input(display, X.KeyPress, shift, time=delay_ms)
            xtest.fake_input(display, X.KeyPress, keycodes[name.lower() if upper else name],
                             time=0 if upper else delay_ms)
            xtest.fake_input(display, X.KeyRelease, keycodes[name.lower() if upper else name])
            if upper:
                xtest.fake_input(display, X.KeyRelease, shift)
        display.sync()

    def scan_with_stall(self, code: str, after: int, stall_ms: int) -> None:
        """A scan during which the till stalls ``stall_ms`` on the ``after``-th key (a slow frame)."""
        tmp = self.stall_path.with_suffix(".tmp")
        tmp.write_text(f"{after} {stall_ms}")
        os.replace(tmp, self.stall_path)
        end = time.monotonic() + 5
        while self.stall_path.read_text() != "armed":  # the till polls every 10 ms
            if time.monotonic() > end:
                raise AssertionError("the till did not arm the stall")
            time.sleep(0.01)
        self.scan(code)

    def key(self, *names: str) -> None:
        self.x.run("xdotool", "key", "--delay", "60", *names)

    def screenshot(self, path: Path) -> Path:
        xwd = self.x.run("xwd", "-root", "-silent", "-out", str(path.with_suffix(".xwd")), check=False)
        if xwd.returncode == 0 and shutil.which("/usr/bin/convert"):
            subprocess.run(["/usr/bin/convert", str(path.with_suffix(".xwd")), str(path)], check=False, timeout=60)
        return path

    # ---------------------------------------------------------------- the database, read-only
    def query(self, sql: str, *params) -> list[tuple]:
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def basket(self, user: str = "") -> dict:
        """The basket in progress of ``user`` (the one logged in), as the till saved it (half a
        second after each change)."""
        user = user or self.user
        rows = self.query('SELECT b.data FROM saved_basket b JOIN "user" u ON u.id = b.user_id '
                          "WHERE b.kind = 'current' AND u.name = ?", user)
        return json.loads(rows[0][0]) if rows else {"lines": []}

    def lines(self, user: str = "") -> list[tuple[str, int]]:
        return [(ln["name"], ln["qty"]) for ln in self.basket(user)["lines"]]

    def wait_lines(self, expected: list[tuple[str, int]], user: str = "", timeout: float = 8.0) -> None:
        end = time.monotonic() + timeout
        while (got := self.lines(user)) != expected:
            if time.monotonic() > end:
                shot = self.screenshot(self.workdir / "timed-out.png")
                raise AssertionError(f"basket {got} != {expected}; toast {self.layout()['toast']!r} "
                                     f"(screenshot {shot})")
            time.sleep(0.05)

    def last_ticket(self) -> int:
        return self.query('SELECT COALESCE(MAX("number"), 0) FROM "ticket"')[0][0]

    # ---------------------------------------------------------------- the cashier's paths
    def login(self, user: str = "Marie", pin: str = "1234") -> None:
        self.wait_screen("login")
        self.click(f"user_buttons:{user}", timeout=30)
        for digit in pin:
            self.click(f"text:{digit}")
        self.click("id:enter")
        self.wait_screen("sale")
        self.user = user

    def manager_pin(self, pin: str = "9999") -> None:
        """Type a PIN on the manager-PIN pad, then OK."""
        self.wait(lambda lay: "PinPopup" in lay["popups"], what="the manager-PIN pad")
        for digit in pin:
            self.click(f"PinPopup.text:{digit}")
        self.click("PinPopup.id:ok")

    # ---------------------------------------------------------------- end
    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
