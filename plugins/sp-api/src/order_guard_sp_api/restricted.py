"""Restricted Data Tokens (Tokens API 2021-03-01), asked for only when the address says so.

By default order-guard asks Amazon for no buyer data at all: the Pending rules
need none. ``restricted=shippingAddress,buyerInfo`` (or ``rdt=1``) on an
``sp-api://`` address requests an RDT for exactly the calls that need it; the
RDT then goes in ``x-amz-access-token`` in place of the access token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from order_guard.secrets import register_secret

from order_guard_sp_api.auth import EXPIRY_MARGIN
from order_guard_sp_api.client import CREATE_RDT, SpApiClient
from order_guard_sp_api.errors import SpApiError

PATH = "/tokens/2021-03-01/restrictedDataToken"


class RestrictedToken:
    """An RDT for one restricted resource (method, path, data elements), cached until near expiry."""

    def __init__(self, client: SpApiClient, method: str, path: str, elements: Sequence[str] = (),
                 clock: Callable[[], float] = time.monotonic):
        self._client, self._clock = client, clock
        resource: dict = {"method": method, "path": path}
        if elements:
            resource["dataElements"] = list(elements)
        self.body = {"restrictedResources": [resource]}
        self._token: str | None = None
        self._expires_at = 0.0

    def get(self) -> str:
        if self._token is None or self._clock() >= self._expires_at - EXPIRY_MARGIN:
            started = self._clock()
            reply = self._client.call(CREATE_RDT, PATH, body=self.body)
            data = reply.data if isinstance(reply.data, dict) else {}
            token = data.get("restrictedDataToken")
            if not isinstance(token, str) or not token:
                raise SpApiError(CREATE_RDT.name, 200, "InvalidResponse", "the answer has no restrictedDataToken")
            register_secret(token)
            try:
                lifetime = float(data.get("expiresIn", 3600))
            except (TypeError, ValueError):
                lifetime = 3600.0
            self._token, self._expires_at = token, started + lifetime
        return self._token

    def invalidate(self) -> None:
        self._token = None
