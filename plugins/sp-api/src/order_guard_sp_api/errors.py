"""The one error a failed SP-API call ends in: the operation, the HTTP status and Amazon's own words."""

from __future__ import annotations

import json
from typing import Any

from order_guard.errors import ExitCode, OrderGuardError
from order_guard.secrets import scrub


class SpApiError(OrderGuardError):
    """Amazon refused or could not answer a call: ``code`` and ``message`` are Amazon's.

    A run that meets it could not read its data completely (exit 3).
    """

    exit_code = ExitCode.INCOMPLETE

    def __init__(self, operation: str, status: int | None, code: str, message: str, details: str = "",
                 request_id: str | None = None, hint: str = ""):
        self.operation, self.status, self.code = operation, status, code
        self.message, self.details, self.request_id, self.hint = message, details, request_id, hint
        text = f"{operation}: " + (f"HTTP {status} " if status else "") + f"{code}: {message}"
        if details and details not in message:
            text += f" ({details})"
        if request_id:
            text += f" [x-amzn-RequestId {request_id}]"
        if hint:
            text += f"; {hint}"
        super().__init__(scrub(text))

    @classmethod
    def from_response(cls, operation: str, status: int, body: bytes, request_id: str | None,
                      hint: str = "") -> SpApiError:
        """Amazon's first ``{"errors": [{code, message, details}]}`` entry, or what the body was."""
        code, message, details = first_error(body)
        if code is None:
            code, message = "HTTP error", "the response has no SP-API errors body"
        return cls(operation, status, code, message, details, request_id, hint)


class GaveUp(SpApiError):
    """Retries or the wait budget ran out (throttling, 5xx, network)."""


def first_error(body: bytes) -> tuple[str | None, str, str]:
    try:
        document: Any = json.loads(body or b"null")
    except ValueError:
        return None, "", ""
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None, "", ""
    first = errors[0]
    return (_text(first.get("code")) or "error", _text(first.get("message")), _text(first.get("details")))


def _text(value: Any) -> str:
    """Amazon's text, one line, bounded: an error body is input too."""
    text = " ".join(str(value or "").split())
    return text[:300] + ("..." if len(text) > 300 else "")
