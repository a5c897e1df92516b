"""One HTTP exchange over the standard library, with a timeout and no surprises.

API requests never follow redirects: ``urllib`` would forward the
``x-amz-access-token`` header to wherever a redirect points. Report documents
(presigned URLs that need no token) may redirect. Errors name the host and
path, never the query string (a presigned URL's signature) or a header.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import BinaryIO
from urllib.parse import urlsplit

USER_AGENT = "order-guard-sp-api/0.1 (Language=Python)"


class TransportError(Exception):
    """The request got no HTTP answer (timeout, refused, reset): worth retrying."""


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name) if self.headers is not None else None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401 - urllib's signature
        return None  # the 3xx comes back as a response, and the token goes nowhere else


_API_OPENER = urllib.request.build_opener(_NoRedirect)
_DOWNLOAD_OPENER = urllib.request.build_opener()


def where(url: str) -> str:
    """``host/path`` of ``url``: safe to show (no query, no user info)."""
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path}"


def send(method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float) -> Response:
    """Send one API request; any HTTP status comes back as a :class:`Response`."""
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"user-agent": USER_AGENT, **headers})
    try:
        with _API_OPENER.open(request, timeout=timeout) as reply:
            return Response(reply.status, reply.headers, reply.read())
    except urllib.error.HTTPError as err:
        try:
            content = err.read()
        except (OSError, http.client.HTTPException):
            content = b""
        return Response(err.code, err.headers, content)
    except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException) as err:
        raise TransportError(f"{method} {where(url)}: {_reason(err)}") from None


def download(url: str, target: BinaryIO, timeout: float) -> Response:
    """Stream a report document into ``target``; the response's body is left empty."""
    request = urllib.request.Request(url, headers={"user-agent": USER_AGENT})
    try:
        with _DOWNLOAD_OPENER.open(request, timeout=timeout) as reply:
            shutil.copyfileobj(reply, target, 1 << 20)
            return Response(reply.status, reply.headers, b"")
    except urllib.error.HTTPError as err:
        return Response(err.code, err.headers, b"")
    except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException) as err:
        raise TransportError(f"GET {where(url)}: {_reason(err)}") from None


def _reason(err: BaseException) -> str:
    reason = getattr(err, "reason", None) or err
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    return type(reason).__name__ if not str(reason) else str(reason)
