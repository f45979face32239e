"""An authenticator app for tests: RFC 6238 codes, written here rather than borrowed from allauth,
so that a test checks allauth's verification against an independent generator."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

PERIOD = 30
DIGITS = 6


def totp_code(secret: str) -> str:
    """The current code, never one about to expire: the server accepts only the current period
    (no drift window, so a spent code cannot come back), and a test must not race the clock."""
    if PERIOD - time.time() % PERIOD < 2:
        time.sleep(PERIOD - time.time() % PERIOD + 0.05)  # waiting out the clock itself
    counter = int(time.time() // PERIOD)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    (value,) = struct.unpack(">I", digest[offset : offset + 4])
    return f"{(value & 0x7FFFFFFF) % 10**DIGITS:0{DIGITS}d}"
