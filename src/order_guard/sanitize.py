"""Values taken from input files are made harmless before any output sees them.

Two attacks matter for a report that people open: control characters
(ANSI escape sequences rewrite a terminal; NUL and friends confuse parsers)
and spreadsheet formulas (a cell starting with ``=``, ``+``, ``-``, ``@``
runs when a CSV or JUnit export is opened in Excel). Each reporter escapes
its own syntax (HTML, Markdown, XML) on top of this.
"""

from __future__ import annotations

import re
from typing import Any

#: Control characters, lone surrogates (which no encoder can write), non-characters, and
#: the invisible and bidirectional formatting characters that make text display as
#: something else ("a\u202egnp.exe" shows as "aexe.png"). Patterns here are compiled (and cached
#: by ``re``) when first needed: most text is printable ASCII and needs neither.
_CONTROL = ("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
            "\u200b-\u200f\u202a-\u202e\u2060-\u2069\u2028\u2029\ufeff]")
_FORMULA_START = ("=", "+", "-", "@")
#: Numbers and phone numbers ("-5.00", "+39 011 5550123") stay as they are: without a
#: letter, '=', '@', '|' or a quote a formula can only do arithmetic.
_NUMBER_LIKE = r"^[+-][\d\s().,/+-]*$"


def safe_text(value: str) -> str:
    """``value`` with control characters shown as ``?`` and a formula start defused with ``'``."""
    if value.isascii() and value.isprintable():  # the common case: nothing to replace
        text = value
    else:
        text = re.sub(_CONTROL, "?", value.replace("\r\n", "\n").replace("\n", " ").replace("\t", " "))
    if text.startswith(_FORMULA_START) and not re.match(_NUMBER_LIKE, text):
        return "'" + text
    return text


def safe_value(value: Any) -> Any:
    """Apply :func:`safe_text` to every string inside ``value`` (dicts, lists)."""
    if isinstance(value, str):
        if value.isascii() and value.isprintable() and not value.startswith(_FORMULA_START):
            return value  # nothing to neutralise: the common case, without a call
        return safe_text(value)
    if isinstance(value, dict):
        return {key: safe_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [safe_value(item) for item in value]
    return value
