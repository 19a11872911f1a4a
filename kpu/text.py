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
    a NUL byte, or a lone UTF-16 surrogate (JSON allows "\\ud800"; no encoding can write it).
    Iterative: a value nested hundreds deep must not exhaust Python's stack (issue 15 item 6)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or not (item.isascii() or _encodes(item)):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False
