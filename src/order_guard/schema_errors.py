"""jsonschema errors in words a person understands, pointing at the offending key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_keys(error: Any) -> tuple[list, str] | None:
    """For an ``additionalProperties`` error: the path of the first unknown key and a message
    naming every unknown key with a did-you-mean; ``None`` for any other error."""
    if error.validator != "additionalProperties":
        return None
    known = list(error.schema.get("properties", {}))
    extra = sorted(set(error.instance) - set(known))
    message = "; ".join(f"unknown key {key!r}" + did_you_mean(key, known) for key in extra)
    return [*error.absolute_path, extra[0]], message
