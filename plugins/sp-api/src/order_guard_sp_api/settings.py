"""Limits (timeouts, retries, waits) and endpoints, from the environment.

| variable | default | meaning |
|---|---|---|
| ``ORDER_GUARD_SP_API_TIMEOUT`` | 30 | seconds a socket may stay silent before the request fails |
| ``ORDER_GUARD_SP_API_RETRIES`` | 5 | retries of one request after 429, 5xx or a network error |
| ``ORDER_GUARD_SP_API_MAX_WAIT`` | 300 | longest total back-off for one request; no single wait is longer |
| ``ORDER_GUARD_SP_API_REPORT_WAIT`` | 900 | longest wait for a requested report to be ready |
| ``SP_API_ENDPOINT`` | the region's host | SP-API base URL (a sandbox or a local server) |
| ``LWA_TOKEN_URL`` | ``https://api.amazon.com/auth/o2/token`` | Login with Amazon token URL |
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from order_guard.errors import UsageError

from order_guard_sp_api.addressing import MARKETPLACE_REGIONS, Address

DEFAULT_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
PRODUCTION = "https://sellingpartnerapi-{region}.amazon.com"
SANDBOX = "https://sandbox.sellingpartnerapi-{region}.amazon.com"


@dataclass(frozen=True)
class Settings:
    timeout: float = 30.0
    retries: int = 5
    max_wait: float = 300.0
    report_wait: float = 900.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        values = {}
        for name, convert in (("timeout", float), ("retries", int), ("max_wait", float), ("report_wait", float)):
            variable = f"ORDER_GUARD_SP_API_{name.upper()}"
            if environ.get(variable, "").strip():
                try:
                    values[name] = convert(environ[variable])
                except ValueError:
                    raise UsageError(f"{variable} must be a number") from None
                if values[name] < 0 or (name == "timeout" and values[name] == 0):
                    raise UsageError(f"{variable} must be positive")
        return cls(**values)


def endpoint_for(address: Address, configured: str | None) -> str:
    """The SP-API base URL: ``SP_API_ENDPOINT`` or the credentials file, else the marketplaces' region."""
    if configured:
        return checked_url(configured, "SP_API_ENDPOINT")
    regions = {address.region} if address.region else {MARKETPLACE_REGIONS.get(m) for m in address.marketplaces}
    if None in regions:
        unknown = [m for m in address.marketplaces if m not in MARKETPLACE_REGIONS]
        raise UsageError(f"{address.label}: unknown marketplace {', '.join(unknown)}: add region=na|eu|fe "
                         "or set SP_API_ENDPOINT")
    if len(regions) > 1:
        raise UsageError(f"{address.label}: marketplaces of several regions ({', '.join(sorted(regions))}) cannot "
                         "be read in one dataset; give one --dataset per region")
    return (SANDBOX if address.sandbox else PRODUCTION).format(region=regions.pop())


def checked_url(url: str, name: str) -> str:
    """``url`` without a trailing slash. Credentials and tokens travel only over HTTPS,
    except to this machine (a local test server)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.query:
        raise UsageError(f"{name} must be an https:// URL without user, password or query")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(f"{name} must use https:// (plain http is allowed only to localhost)")
    return url.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
