"""The operating system's time of each key press, for the keyboard-wedge scanner.

Kivy's SDL2 window hands key events over without their time: ``_WindowSDL2Storage.poll``
returns ``('keydown', mod, key, scancode, None)``, and SDL's own ``timestamp`` is only when
SDL *pumped* the event, which happens once per frame.  Keys typed while a frame is slow
are pumped together after it, so measuring the gaps between keys there (or when the app
handles them) splits a scan in two after any slow frame.

The X server stamps every key press with its own time (``XKeyEvent.time``, milliseconds).
SDL passes the raw X events on as ``SDL_SYSWMEVENT`` when asked to; an SDL *event watch*
(``SDL_AddEventWatch``, which, unlike the one event filter, Kivy leaves free) sees each of
them just before SDL queues the ``SDL_KEYDOWN`` it makes of it.  The watch keeps the X time
of each key down, in order, and the scan capture takes them back as Kivy dispatches the keys
(matched by scancode).  Where there is no X server (SDL's offscreen or another video
driver) the watch keeps SDL's timestamp instead, and keys dispatched without any (the tests'
synthetic events) are timed when handled.  Each time says which clock it comes from, so the
wedge buffer never compares two clocks.

Everything here goes through ctypes on the SDL library Kivy has already loaded; if anything
is missing the scanner still works, on the handling time.
"""

from __future__ import annotations

import ctypes
import logging
import re
import sys
import time
from collections import deque

log = logging.getLogger(__name__)

SDL_SYSWMEVENT = 0x201
SDL_KEYDOWN = 0x300
SDL_ENABLE = 1
SDL_SYSWM_X11 = 2
X_KEY_PRESS = 2
# offsets in SDL 2's and Xlib's structures (64-bit Linux)
EVENT_TIMESTAMP = 4  # SDL_CommonEvent.timestamp (Uint32, ms)
KEY_SCANCODE = 16  # SDL_KeyboardEvent.keysym.scancode
SYSWM_MSG = 8  # SDL_SysWMEvent.msg (SDL_SysWMmsg *)
MSG_SUBSYSTEM = 4  # SDL_SysWMmsg.subsystem
MSG_XEVENT = 8  # SDL_SysWMmsg.msg.x11.event (XEvent)
XKEY_TIME = 56  # XKeyEvent.time (Time: unsigned long, ms)

WATCH = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
Stamp = tuple[str, float]  # (clock, seconds)


def _sdl_library() -> ctypes.CDLL | None:
    """The SDL 2 library this process has loaded (Kivy's own copy, or the system's)."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                if re.search(r"/libSDL2-2[.-][^/]*\.so", path):
                    return ctypes.CDLL(path)
    except OSError:
        pass
    return None


class KeyStamps:
    """The times of the key downs SDL has queued and Kivy has not dispatched yet."""

    def __init__(self) -> None:
        self.source = "none"  # "x11": the X server's time; "sdl": SDL's pump time; "none"
        self._queue: deque[tuple[int, Stamp]] = deque(maxlen=256)
        self._x_time: int | None = None  # the X time of the key press SDL is turning into a key down
        self._x_last = 0
        self._x_wraps = 0
        self._watch = None  # the ctypes callback (kept alive: SDL holds a raw pointer to it)
        self._installed = False

    # ---------------------------------------------------------------- set-up
    def install(self) -> str:
        """Start watching SDL's events (once); returns the clock the key times will come from."""
        if self._installed:
            return self.source
        self._installed = True
        if not sys.platform.startswith("linux") or sys.maxsize < 2 ** 32:
            return self.source
        from kivy.core.window import Window

        if type(Window).__name__ != "WindowSDL":
            return self.source
        lib = _sdl_library()
        if lib is None:
            log.info("key times: SDL library not found; scans are timed when handled")
            return self.source
        try:
            lib.SDL_GetCurrentVideoDriver.restype = ctypes.c_char_p
            driver = (lib.SDL_GetCurrentVideoDriver() or b"").decode()
            lib.SDL_AddEventWatch.argtypes = [WATCH, ctypes.c_void_p]
            self._watch = WATCH(self._on_event)
            if driver == "x11":
                lib.SDL_EventState(SDL_SYSWMEVENT, SDL_ENABLE)
            lib.SDL_AddEventWatch(self._watch, None)
        except (AttributeError, OSError) as exc:  # pragma: no cover - a very different SDL
            log.warning("key times: cannot watch SDL's events (%s); scans are timed when handled", exc)
            return self.source
        self.source = "x11" if driver == "x11" else "sdl"
        log.info("key times: from %s (video driver %s)", self.source, driver)
        return self.source

    # ---------------------------------------------------------------- SDL's side
    def _on_event(self, _userdata, event) -> int:
        """Called by SDL (on the thread pumping the events) for each event it queues."""
        try:
            kind = ctypes.c_uint32.from_address(event).value
            if kind == SDL_SYSWMEVENT:
                msg = ctypes.c_void_p.from_address(event + SYSWM_MSG).value
                self._x_time = None
                if msg and ctypes.c_int.from_address(msg + MSG_SUBSYSTEM).value == SDL_SYSWM_X11 \
                        and ctypes.c_int.from_address(msg + MSG_XEVENT).value == X_KEY_PRESS:
                    self._x_time = ctypes.c_ulong.from_address(msg + MSG_XEVENT + XKEY_TIME).value
            elif kind == SDL_KEYDOWN:
                scancode = ctypes.c_int.from_address(event + KEY_SCANCODE).value
                if self._x_time is not None:
                    stamp = ("x11", self._unwrap(self._x_time) / 1000)
                else:
                    stamp = ("sdl", ctypes.c_uint32.from_address(event + EVENT_TIMESTAMP).value / 1000)
                self._x_time = None
                self.push(scancode, stamp)
        except Exception:  # pragma: no cover - never let an exception cross into SDL
            log.exception("key times: watch failed")
        return 1

    def _unwrap(self, x_time: int) -> int:
        """X times are 32-bit milliseconds: they wrap after 49.7 days."""
        x_time &= 0xFFFFFFFF
        if x_time < self._x_last - 2 ** 31:
            self._x_wraps += 1
        self._x_last = x_time
        return x_time + (self._x_wraps << 32)

    # ---------------------------------------------------------------- Kivy's side
    def push(self, scancode: int, stamp: Stamp) -> None:
        """A key down was queued at ``stamp`` (the watch; tests replaying typed keys)."""
        self._queue.append((scancode, stamp))

    def take(self, scancode: int) -> Stamp:
        """The time of the key down Kivy is dispatching: the oldest one queued with this
        scancode (older ones were dispatched without being asked for: dropped), or now."""
        for i, (queued, stamp) in enumerate(self._queue):
            if queued == scancode:
                for _ in range(i + 1):
                    self._queue.popleft()
                return stamp
        return ("app", time.monotonic())


STAMPS = KeyStamps()
