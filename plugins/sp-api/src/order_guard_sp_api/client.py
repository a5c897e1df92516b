"""SP-API calls: pacing, back-off with jitter, bounded retries, one clear error.

Every operation has Amazon's documented usage plan (rate, burst); a token
bucket per operation paces requests, and an ``x-amzn-RateLimit-Limit`` header,
when Amazon sends one, replaces the documented rate. A 429 waits at least as
long as the bucket needs to refill one token; 5xx and network errors back off
exponentially. Both add jitter, stop after ``retries`` and never wait longer
than ``max_wait`` in all for one request. 400/403/404 are not retried: they
end in a :class:`SpApiError` carrying Amazon's ``code`` and ``message``. A 403
that says the token expired fetches a new one and retries once.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlencode

from order_guard_sp_api import transport
from order_guard_sp_api.auth import AccessTokens, Credentials
from order_guard_sp_api.errors import GaveUp, SpApiError, first_error
from order_guard_sp_api.progress import Progress
from order_guard_sp_api.settings import Settings, checked_url

log = logging.getLogger("order_guard.sp_api")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Operation:
    """An SP-API operation and its default usage plan (requests per second, burst)."""

    name: str
    method: str
    rate: float
    burst: int


GET_ORDERS = Operation("getOrders", "GET", 0.0167, 20)
GET_ORDER_ITEMS = Operation("getOrderItems", "GET", 0.5, 30)
SEARCH_ORDERS = Operation("searchOrders", "GET", 0.0056, 20)
CREATE_REPORT = Operation("createReport", "POST", 0.0167, 15)
GET_REPORT = Operation("getReport", "GET", 2.0, 15)
GET_REPORT_DOCUMENT = Operation("getReportDocument", "GET", 0.0167, 15)
CREATE_RDT = Operation("createRestrictedDataToken", "POST", 1.0, 10)
LOGIN = Operation("Login with Amazon", "POST", 1.0, 10)
DOWNLOAD = Operation("report document download", "GET", 10.0, 10)


class TokenSource(Protocol):
    def get(self) -> str: ...

    def invalidate(self) -> None: ...


@dataclass
class Reply:
    data: Any
    body: bytes
    headers: Message


class TokenBucket:
    """Amazon's rate limiter, mirrored: ``burst`` requests at once, then ``rate`` per second."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]):
        self.rate, self.burst, self._clock = rate, burst, clock
        self.tokens = float(burst)
        self._last = clock()

    def take(self) -> float:
        """Spend a token; the seconds to wait before the request may go."""
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self._last) * self.rate) - 1
        self._last = now
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def drain(self) -> None:
        """Amazon said 429: its bucket is empty, so is ours."""
        self.tokens = min(self.tokens, 0.0)


class SpApiClient:
    """Calls to one SP-API endpoint with one set of credentials (one dataset's worth)."""

    def __init__(self, endpoint: str, credentials: Credentials, token_url: str, settings: Settings,
                 progress: Progress, sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[], float] = random.random, clock: Callable[[], float] = time.monotonic,
                 send: Callable[..., transport.Response] = transport.send):
        self.endpoint, self.settings, self.progress = endpoint, settings, progress
        self._token_url = token_url
        self._sleep, self._jitter, self._clock, self._send = sleep, jitter, clock, send
        self._buckets: dict[str, TokenBucket] = {}
        self.tokens = AccessTokens(credentials, self._login, clock)

    def call(self, operation: Operation, path: str, query: dict[str, Any] | None = None,
             body: Any = None, token: TokenSource | None = None) -> Reply:
        """One SP-API call; the parsed JSON body of its 2xx answer, or :class:`SpApiError`."""
        source: TokenSource = token or self.tokens
        url = self.endpoint + path + ("?" + urlencode(query) if query else "")
        payload = json.dumps(body).encode() if body is not None else None
        refreshed = False
        log.debug("%s: %s %s", operation.name, operation.method, path)
        while True:
            response = self._with_retries(operation, lambda: self._send(
                operation.method, url, self._headers(source.get(), payload is not None), payload,
                self.settings.timeout))
            if response.status == 403 and not refreshed and _says_expired(response.body):
                log.info("%s: the access token expired; fetching a new one", operation.name)
                refreshed = True
                source.invalidate()
                self.tokens.invalidate()
                continue
            break
        request_id = response.header("x-amzn-RequestId")
        if not 200 <= response.status < 300:
            raise SpApiError.from_response(operation.name, response.status, response.body, request_id)
        try:
            data = json.loads(response.body) if response.body.strip() else {}
        except ValueError:
            raise SpApiError(operation.name, response.status, "InvalidResponse", "the answer is not JSON",
                             request_id=request_id) from None
        return Reply(data, response.body, response.headers)

    def download(self, url: str, target: BinaryIO) -> transport.Response:
        """Fetch a presigned report document into ``target``; no token goes with it."""
        checked_url(url.split("?", 1)[0], "the report document URL")

        def attempt() -> transport.Response:
            target.seek(0)
            target.truncate()
            return transport.download(url, target, self.settings.timeout)

        response = self._with_retries(DOWNLOAD, attempt)
        if response.status != 200:
            raise SpApiError(DOWNLOAD.name, response.status, "DownloadFailed",
                             f"{transport.where(url)} refused the document (a presigned URL expires after 5 minutes)")
        return response

    def wait(self, seconds: float, reason: str) -> None:
        """Sleep, saying so on the progress line (report polling uses it too)."""
        if seconds <= 0:
            return
        self.progress.waiting(seconds, reason)
        log.info("waiting %.1f s: %s", seconds, reason)
        self._sleep(seconds)

    def _login(self, form: bytes) -> transport.Response:
        headers = {"content-type": "application/x-www-form-urlencoded;charset=UTF-8", "accept": "application/json"}
        return self._with_retries(LOGIN, lambda: self._send("POST", self._token_url, headers, form,
                                                            self.settings.timeout))

    @staticmethod
    def _headers(token: str, has_body: bool) -> dict[str, str]:
        headers = {"x-amz-access-token": token, "accept": "application/json",
                   "x-amz-date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")}
        if has_body:
            headers["content-type"] = "application/json"
        return headers

    def _bucket(self, operation: Operation) -> TokenBucket:
        if operation.name not in self._buckets:
            self._buckets[operation.name] = TokenBucket(operation.rate, operation.burst, self._clock)
        return self._buckets[operation.name]

    def _with_retries(self, operation: Operation, send: Callable[[], transport.Response]) -> transport.Response:
        settings, bucket = self.settings, self._bucket(operation)
        attempts, waited = 0, 0.0
        while True:
            # Pacing before a retry is part of the back-off, and bounded with it.
            pause = min(bucket.take(), settings.max_wait - waited)
            self.wait(pause, f"{operation.name} usage plan")
            waited += max(pause, 0.0) if attempts else 0.0
            try:
                response: transport.Response | None = send()
                error = None
            except transport.TransportError as err:
                response, error = None, str(err)
            if response is not None:
                _learn_rate(bucket, response)
                if response.status not in RETRY_STATUSES:
                    return response
                if response.status == 429:
                    bucket.drain()
            attempts += 1
            delay = self._backoff(bucket, response, attempts)
            remaining = settings.max_wait - waited
            if attempts > settings.retries or remaining <= 0:
                raise _gave_up(operation, response, error, attempts, waited)
            delay = min(delay, remaining)
            status = response.status if response is not None else "network error"
            self.wait(delay, f"{operation.name} answered {status}; retry {attempts} of {settings.retries}")
            waited += delay

    def _backoff(self, bucket: TokenBucket, response: transport.Response | None, attempt: int) -> float:
        if response is not None and response.status == 429:
            # Never sooner than Amazon's bucket refills one token; the jitter only adds.
            delay = max(1.0 / bucket.rate, 0.5) * 2 ** (attempt - 1) * (1 + 0.25 * self._jitter())
        else:
            ceiling = 2.0 ** (attempt - 1)
            delay = ceiling / 2 + ceiling / 2 * self._jitter()
        retry_after = response.header("retry-after") if response is not None else None
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        return delay


def _learn_rate(bucket: TokenBucket, response: transport.Response) -> None:
    value = response.header("x-amzn-RateLimit-Limit")
    try:
        rate = float(value) if value else 0.0
    except ValueError:
        return
    if rate > 0:
        bucket.rate = rate


def _says_expired(body: bytes) -> bool:
    _, message, details = first_error(body)
    return "expired" in f"{message} {details}".lower()


def _gave_up(operation: Operation, response: transport.Response | None, error: str | None,
             attempts: int, waited: float) -> GaveUp:
    hint = (f"gave up after {attempts} attempt(s) and {waited:.3g} s of back-off "
            "(ORDER_GUARD_SP_API_RETRIES, ORDER_GUARD_SP_API_MAX_WAIT)")
    if response is None:
        return GaveUp(operation.name, None, "network error", error or "no answer", hint=hint)
    code, message, details = first_error(response.body)
    return GaveUp(operation.name, response.status, code or "error", message or "no SP-API errors body",
                  details, response.header("x-amzn-RequestId"), hint=hint)
