"""Secrets (API credentials, database passwords) never reach output, logs or errors.

A source that reads a credential registers it here as soon as it has it;
every error line, log record and report error passes through :func:`scrub`,
which replaces each registered value with ``[secret]``. URLs lose their
password (``user:pw@host`` becomes ``user:[secret]@host``).
"""

from __future__ import annotations

import logging
import re

MASK = "[secret]"
_registered: set[str] = set()
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@",
                           re.IGNORECASE)


def register_secret(value: str | None) -> None:
    """Never show ``value``. Short values are refused: masking "a" would mangle every message."""
    if value and len(value) >= 6:
        _registered.add(value)


def scrub(text: str) -> str:
    """``text`` with every registered secret and every URL password masked."""
    if not _registered and "://" not in text:  # nothing registered, no URL: nothing to mask
        return text
    for secret in sorted(_registered, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


class SecretFilter(logging.Filter):
    """The one logging filter: a log record's final message, scrubbed."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(level: int = logging.WARNING) -> None:
    """Log to stderr through :class:`SecretFilter` (the CLI calls this once)."""
    handler = logging.StreamHandler()
    handler.addFilter(SecretFilter())
    handler.setFormatter(logging.Formatter("order-guard: %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
