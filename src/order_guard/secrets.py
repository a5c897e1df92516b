"""Secrets (API credentials, database passwords) never reach output, logs or errors.

A source that reads a credential registers it here as soon as it has it;
every error line, log record and report error passes through :func:`scrub`,
which replaces each registered value with ``[secret]``. URLs lose their
password (``user:pw@host`` becomes ``user:[secret]@host``).
"""

from __future__ import annotations

import re
import sys

TYPE_CHECKING = False  # typing's constant, without importing typing before cli.main sets up the run
if TYPE_CHECKING:
    import logging
    from typing import Any

MASK = "[secret]"
_registered: set[str] = set()
#: A pattern, compiled (and cached by ``re``) the first time a text holds a URL.
_URL_PASSWORD = r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@"
#: The ``logging`` level the CLI logs at (``logging.WARNING``, without importing logging for it).
WARNING = 30


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
    return re.sub(_URL_PASSWORD, lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text, flags=re.IGNORECASE)


class SecretFilter:
    """The one logging filter: a log record's final message, scrubbed."""

    def filter(self, record: logging.LogRecord) -> bool:
        import logging

        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(level: int = WARNING) -> None:
    """Log to stderr through :class:`SecretFilter` (the CLI calls this once).

    Until something imports :mod:`logging` nothing can log, so a run that does not (a gate
    without a plugin that logs) does not import it either: the configuration then happens
    the moment it is imported, before any code can log through it.
    """
    if "logging" in sys.modules:
        _configure(level)
    elif not any(isinstance(finder, _ConfigureOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ConfigureOnImport(level))


def _configure(level: int) -> None:
    import logging

    handler = logging.StreamHandler()
    handler.addFilter(SecretFilter())
    handler.setFormatter(logging.Formatter("order-guard: %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class _ConfigureOnImport:
    """An import finder for ``logging`` alone: the module is found and run as usual, then
    configured before the import returns it to anyone. It stays in place until that import
    happened (a mere ``find_spec("logging")`` imports nothing)."""

    def __init__(self, level: int):
        self.level = level

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "logging":
            return None
        others = (finder for finder in sys.meta_path if finder is not self and hasattr(finder, "find_spec"))
        spec = next(filter(None, (finder.find_spec(name, path, target) for finder in others)), None)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenConfigure(spec.loader, self)
        return spec


class _ThenConfigure:
    """A module loader that configures logging once the ``logging`` module has run."""

    def __init__(self, loader: Any, finder: _ConfigureOnImport):
        self.loader, self.finder = loader, finder

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.loader.exec_module(module)
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        _configure(self.finder.level)

    def __getattr__(self, name: str) -> Any:  # get_source, is_package...: the real loader's
        return getattr(self.loader, name)
