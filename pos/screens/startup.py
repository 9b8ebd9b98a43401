"""Kivy's environment for ``pos run``, set before Kivy is imported: a clean start-up log.

Two CRITICAL lines Kivy prints on a till that lacks what a desktop has, though nothing is wrong:

- **audio**: with no sound card and no sound server (a till without speakers, a virtual
  machine, Xvfb), SDL cannot open its mixer and the first beep logs "Unable to open mixer".
  There the till uses SDL's silent ``dummy`` audio driver; ``SDL_AUDIODRIVER`` set by the
  environment wins.
- **cut buffer** (X11's middle-click paste): Kivy's text fields look for ``xsel`` or ``xclip``
  and log a CRITICAL line when neither is installed.  A touch till does without it: the line is
  logged as INFO, saying how to have it (``apt-get install xsel``, in the README's prerequisites).
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import sys

CUTBUFFER_MESSAGE = "Cutbuffer: Unable to find any valuable Cutbuffer provider"


def has_audio_output() -> bool:
    """A sound card that plays (``/dev/snd/pcmC*D*p``) or a sound server (PulseAudio, PipeWire)."""
    if glob.glob("/dev/snd/pcmC*D*p") or os.environ.get("PULSE_SERVER"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    return bool(runtime) and any(os.path.exists(os.path.join(runtime, name))
                                 for name in ("pulse/native", "pipewire-0"))


class _CutBufferNotice(logging.Filter):
    """Kivy's CRITICAL "no cut buffer provider" becomes one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.CRITICAL and str(record.msg).startswith(CUTBUFFER_MESSAGE):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = ("Cutbuffer: middle-click paste is off (no xsel or xclip; "
                                       "apt-get install xsel)"), ()
        return True


def prepare() -> None:
    """Set Kivy's environment for the till (call before the first import of Kivy)."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    if sys.platform.startswith("linux"):
        if "SDL_AUDIODRIVER" not in os.environ and not has_audio_output():
            os.environ["SDL_AUDIODRIVER"] = "dummy"
        if not (shutil.which("xsel") or shutil.which("xclip")):
            from kivy.logger import Logger

            if not any(isinstance(f, _CutBufferNotice) for f in Logger.filters):
                Logger.addFilter(_CutBufferNotice())
