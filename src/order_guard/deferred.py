"""Functions whose module is imported on their first call.

A built-in plugin registers what it offers (a reporter's name and
description) without importing the code behind it, so a gate run imports
only the writer of the one format it uses.
"""

from __future__ import annotations

import importlib
from typing import Any


class Deferred:
    """Calls ``module:name``, importing the module the first time it is called."""

    def __init__(self, target: str):
        self.target = target
        self._function: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._function is None:
            module, _, name = self.target.partition(":")
            self._function = getattr(importlib.import_module(module), name)
        return self._function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Deferred({self.target!r})"
