"""Sound for SIP calls: WAV players and recorders, made and destroyed on the PJSIP thread.

Players are pjsua's own, through its C API in the library the binding loaded (ctypes), not
pjsua2's `AudioMediaPlayer`. In the pinned 2.15.1 the C++ player registers an end-of-file
callback with a pointer to itself, the file port posts that event to PJSIP's event thread,
and destroying the player does not withdraw it: an event still queued then calls into the
freed object (a segmentation fault, or an abort in SWIG's director). pjproject fixed it after
2.15.1 (#5045). A pjsua player has no end-of-file callback at all; how long a prompt plays
is known from its file, and the conference bridge holds a reference to the port until it
has really let it go, so a player can be destroyed at any moment.
"""

from __future__ import annotations

import ctypes
import functools
import math
import time
import wave
from pathlib import Path

import pjsua2 as pj
from pjsua2 import _pjsua2

# A recorder at the bridge's 8 kHz writes 16-bit mono: 16000 bytes a second after the header.
BYTES_PER_SECOND = 16000
WAV_HEADER = 44
PJ_SUCCESS = 0


class PlayerError(RuntimeError):
    """PJSIP refused to open or connect a player (a bad file, too many players)."""


class _PjStr(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("slen", ctypes.c_ssize_t)]


@functools.cache
def _pjsua() -> ctypes.CDLL:
    """pjsua's C functions the players use, from the binding's own shared library."""
    lib = ctypes.CDLL(_pjsua2.__file__)
    lib.pjsua_player_create.argtypes = [ctypes.POINTER(_PjStr), ctypes.c_uint, ctypes.POINTER(ctypes.c_int)]
    lib.pjsua_player_get_conf_port.argtypes = [ctypes.c_int]
    lib.pjsua_player_destroy.argtypes = [ctypes.c_int]
    lib.pjsua_conf_connect.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.pjsua_conf_disconnect.argtypes = [ctypes.c_int, ctypes.c_int]
    for name in ("pjsua_player_create", "pjsua_player_get_conf_port", "pjsua_player_destroy"):
        getattr(lib, name).restype = ctypes.c_int
    lib.pjsua_conf_connect.restype = lib.pjsua_conf_disconnect.restype = ctypes.c_int
    return lib


class Player:
    """Play one WAV file once (or looping) into the bridge; `seconds` is how long it plays once."""

    def __init__(self, path: Path, loop: bool = False) -> None:
        self.path = path
        self.loop = loop
        self.seconds = wav_seconds(path)
        name = str(path).encode()
        player_id = ctypes.c_int(-1)
        options = 0 if loop else pj.PJMEDIA_FILE_NO_LOOP
        status = _pjsua().pjsua_player_create(ctypes.byref(_PjStr(name, len(name))), options, ctypes.byref(player_id))
        if status != PJ_SUCCESS:
            raise PlayerError(f"cannot play {path} (PJSIP status {status})")
        self._id = player_id.value
        self.slot = _pjsua().pjsua_player_get_conf_port(self._id)
        self.started_at: float | None = None

    @property
    def ends_at(self) -> float:
        """When the prompt ends (monotonic clock); never for a loop, nor before it starts."""
        if self.loop or self.started_at is None:
            return math.inf
        return self.started_at + self.seconds

    def start_transmit(self, sink: pj.AudioMedia) -> None:
        """Play into `sink` (a call's audio) from now on."""
        status = _pjsua().pjsua_conf_connect(self.slot, sink.getPortId())
        if status != PJ_SUCCESS:
            raise PlayerError(f"cannot connect the player of {self.path} (PJSIP status {status})")
        self.started_at = time.monotonic()

    def stop_transmit(self, sink: pj.AudioMedia) -> None:
        """Stop playing into `sink`; harmless when not connected."""
        _pjsua().pjsua_conf_disconnect(self.slot, sink.getPortId())

    def destroy(self) -> None:
        """Close the player (its port leaves the bridge at the bridge's next tick); idempotent."""
        if self._id >= 0:
            _pjsua().pjsua_player_destroy(self._id)
            self._id = -1


class Recorder(pj.AudioMediaRecorder):
    """Write what one call's caller says to a WAV file (no callbacks: safe to destroy on the PJSIP thread)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.createRecorder(str(path))


def wav_seconds(path: Path) -> float:
    """The length of a WAV file in seconds (0 when it is empty or unreadable)."""
    try:
        with wave.open(str(path), "rb") as sound:
            frames = sound.getnframes()
            if frames:
                return frames / sound.getframerate()
    except (wave.Error, EOFError, OSError):
        pass
    # PJSIP fills in the header's sizes only when the recorder is destroyed.
    size = path.stat().st_size if path.exists() else 0
    return max(0, size - WAV_HEADER) / BYTES_PER_SECOND
