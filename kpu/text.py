"""Text PostgreSQL cannot store, checked in one place: the middleware (query strings and forms),
the sync API (JSON bodies) and the voter-list import (cells) all ask `unstorable`."""

from typing import Any


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def unstorable(value: Any) -> bool:
    """Text anywhere in a value (a string, or a JSON dict or list) that PostgreSQL cannot store:
    a NUL byte, or a lone UTF-16 surrogate (JSON allows "\\ud800"; no encoding can write it)."""
    if isinstance(value, str):
        return "\x00" in value or not (value.isascii() or _encodes(value))
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(unstorable(v) for v in value)
    return False
