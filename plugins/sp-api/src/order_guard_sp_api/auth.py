"""Login with Amazon: credentials, and access tokens from the refresh-token grant.

Credentials come from the environment (``SP_API_REFRESH_TOKEN``, ``LWA_APP_ID``,
``LWA_CLIENT_SECRET``, the names python-amazon-sp-api uses) or from a YAML file
outside the repository (``SP_API_CREDENTIALS_FILE``, else
``~/.config/order-guard/sp-api.yaml``); the environment wins key by key. Every
credential and every token is registered with :func:`order_guard.secrets.register_secret`
the moment it is read, so no output, log or traceback can show it; none is
ever put into an exception message or a URL.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import yaml
from order_guard.errors import UsageError
from order_guard.secrets import register_secret, scrub

from order_guard_sp_api.errors import SpApiError
from order_guard_sp_api.transport import Response

log = logging.getLogger("order_guard.sp_api")

ENV = {"refresh_token": "SP_API_REFRESH_TOKEN", "lwa_app_id": "LWA_APP_ID", "lwa_client_secret": "LWA_CLIENT_SECRET"}
FILE_ONLY = ("endpoint", "lwa_token_url")
#: Refresh this long before Amazon says the access token expires.
EXPIRY_MARGIN = 60.0


@dataclass(frozen=True)
class Credentials:
    refresh_token: str = field(repr=False)
    lwa_app_id: str = field(repr=False)
    lwa_client_secret: str = field(repr=False)
    endpoint: str | None = None
    lwa_token_url: str | None = None
    #: Where they came from ("environment" or the file's path), for messages.
    source: str = "environment"


def credentials_file(environ: Mapping[str, str] = os.environ) -> Path:
    if environ.get("SP_API_CREDENTIALS_FILE"):
        return Path(environ["SP_API_CREDENTIALS_FILE"]).expanduser()
    config_home = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "order-guard" / "sp-api.yaml"


def load_credentials(environ: Mapping[str, str] = os.environ) -> Credentials:
    """The three LWA credentials; a :class:`UsageError` names (never shows) what is missing."""
    path = credentials_file(environ)
    from_file = _read_file(path, explicit=bool(environ.get("SP_API_CREDENTIALS_FILE")))
    values = {key: (environ.get(variable) or "").strip() or from_file.get(key, "")
              for key, variable in ENV.items()}
    for value in values.values():
        register_secret(value)
    missing = [ENV[key] for key, value in values.items() if not value]
    if missing:
        raise UsageError(f"SP-API credentials missing: {', '.join(missing)}; set them in the environment or in "
                         f"{path} (keys {', '.join(ENV)})")
    source = str(path) if from_file and any(not environ.get(v) for v in ENV.values()) else "environment"
    return Credentials(**values, endpoint=from_file.get("endpoint") or None,
                       lwa_token_url=from_file.get("lwa_token_url") or None, source=source)


def _read_file(path: Path, explicit: bool) -> dict[str, str]:
    if not path.is_file():
        if explicit:
            raise UsageError(f"SP_API_CREDENTIALS_FILE {path}: no such file")
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.safe_load(text)
    except yaml.YAMLError as err:
        # yaml's message quotes the offending line, which may hold a secret: give its number only.
        mark = getattr(err, "problem_mark", None)
        raise UsageError(f"{path}: not valid YAML" + (f" (line {mark.line + 1})" if mark else "")) from None
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"{path}: cannot read: {getattr(err, 'strerror', None) or type(err).__name__}") from None
    if isinstance(document, dict) and isinstance(document.get("default"), dict):
        document = document["default"]  # python-amazon-sp-api's credentials.yml has profiles
    if not isinstance(document, dict):
        raise UsageError(f"{path}: expected a mapping with keys {', '.join((*ENV, *FILE_ONLY))}")
    values: dict[str, str] = {}
    for key, value in document.items():
        name = str(key).lower()
        name = next((k for k, variable in ENV.items() if variable.lower() == name), name)
        if name == "version":
            continue
        if name not in ENV and name not in FILE_ONLY:
            raise UsageError(f"{path}: unknown key {str(key)[:40]!r}; keys: {', '.join((*ENV, *FILE_ONLY))}")
        values[name] = "" if value is None else str(value).strip()
        if name in ENV:
            register_secret(values[name])
    mode = path.stat().st_mode
    if os.name == "posix" and mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("%s can be read by other users; chmod 600 it", path)
    return values


class AccessTokens:
    """An LWA access token, cached until shortly before it expires.

    ``post(form)`` sends the form-encoded grant to the token URL (with the
    client's timeouts and retries) and returns the response.
    """

    def __init__(self, credentials: Credentials, post: Callable[[bytes], Response],
                 clock: Callable[[], float] = time.monotonic):
        self._credentials = credentials
        self._post = post
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        #: How many times a token was fetched (for progress and tests).
        self.refreshes = 0

    def get(self) -> str:
        if self._token is None or self._clock() >= self._expires_at - EXPIRY_MARGIN:
            self._refresh()
        assert self._token is not None
        return self._token

    def invalidate(self) -> None:
        """Forget the token (Amazon said it expired): the next :meth:`get` fetches a new one."""
        self._token = None

    def _refresh(self) -> None:
        creds = self._credentials
        form = urlencode({"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                          "client_id": creds.lwa_app_id, "client_secret": creds.lwa_client_secret}).encode()
        started = self._clock()
        response = self._post(form)
        try:
            document = json.loads(response.body or b"{}")
        except ValueError:
            document = {}
        if not isinstance(document, dict):
            document = {}
        token = document.get("access_token")
        if isinstance(token, str) and token:
            register_secret(token)
            if isinstance(document.get("refresh_token"), str):
                register_secret(document["refresh_token"])
        if response.status != 200 or not isinstance(token, str) or not token:
            code = str(document.get("error") or "no access token")
            description = scrub(str(document.get("error_description") or "")) or "the token response had none"
            raise SpApiError("Login with Amazon", response.status, code, description,
                             hint=f"check the refresh token, LWA_APP_ID and LWA_CLIENT_SECRET ({creds.source})")
        try:
            lifetime = float(document.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        self._token = token
        self._expires_at = started + lifetime
        self.refreshes += 1
        log.debug("access token fetched, valid for %.0f s", lifetime)
