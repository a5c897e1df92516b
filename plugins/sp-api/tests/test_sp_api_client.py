"""The client's retry rules, with a scripted transport and a fake clock (no network, no real waiting)."""

from __future__ import annotations

import json
from email.message import Message

import pytest

from order_guard_sp_api.auth import AccessTokens, Credentials
from order_guard_sp_api.client import GET_ORDERS, SpApiClient
from order_guard_sp_api.errors import GaveUp, SpApiError
from order_guard_sp_api.progress import Progress
from order_guard_sp_api.settings import Settings
from order_guard_sp_api.transport import Response, TransportError
from sp_api_fake import DENIED, EXPIRED, QUOTA, UNAVAILABLE

TOKEN = (200, {"access_token": "Atza|unit-test-token", "expires_in": 3600}, {})
PAGE = (200, {"payload": {"Orders": []}}, {})


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


class Script:
    """Answers requests in order; remembers what was sent."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent: list[tuple[str, str, dict]] = []

    def __call__(self, method, url, headers, body, timeout):
        assert timeout > 0, "every request has a timeout"
        self.sent.append((method, url, headers))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, document, extra = answer
        headers_out = Message()
        for name, value in extra.items():
            headers_out[name] = value
        return Response(status, headers_out, json.dumps(document).encode())

    def api_calls(self) -> int:
        return sum(1 for _, url, _ in self.sent if "/orders/" in url)


def client(script: Script, time: FakeTime, jitter: float = 0.5, **limits) -> SpApiClient:
    settings = Settings(**{"retries": 5, "max_wait": 600.0, **limits})
    return SpApiClient("https://sellingpartnerapi-eu.amazon.com", Credentials("Atzr|r", "app", "secret"),
                       "https://api.amazon.com/auth/o2/token", settings, Progress("test", enabled=False),
                       sleep=time.sleep, jitter=lambda: jitter, clock=time.clock, send=script)


def test_429_waits_at_least_one_token_of_the_rate_amazon_announced():
    time = FakeTime()
    script = Script(TOKEN, (200, {"payload": {"Orders": []}}, {"x-amzn-RateLimit-Limit": "0.5"}),
                    (429, {"errors": [QUOTA]}, {}), PAGE)
    api = client(script, time, jitter=1.0)
    api.call(GET_ORDERS, "/orders/v0/orders")
    api.call(GET_ORDERS, "/orders/v0/orders")
    assert script.api_calls() == 3
    # One token of a 0.5/s bucket refills in 2 s; jitter adds up to a quarter, never less.
    assert time.sleeps[0] == pytest.approx(2.5)
    assert sum(time.sleeps) == pytest.approx(2.5)  # no second wait: the bucket had refilled


def test_429_without_a_header_uses_the_documented_usage_plan():
    time = FakeTime()
    script = Script(TOKEN, (429, {"errors": [QUOTA]}, {}), PAGE)
    client(script, time, jitter=0.0).call(GET_ORDERS, "/orders/v0/orders")
    assert time.sleeps == [pytest.approx(1 / 0.0167)]  # getOrders: 0.0167 requests per second


def test_jitter_spreads_the_back_off():
    waits = []
    for jitter in (0.0, 1.0):
        time = FakeTime()
        client(Script(TOKEN, (503, {"errors": [UNAVAILABLE]}, {}), PAGE), time, jitter=jitter).call(
            GET_ORDERS, "/orders/v0/orders")
        waits.append(time.sleeps[0])
    assert waits[0] < waits[1]


def test_503_storm_stops_after_the_retries():
    time = FakeTime()
    script = Script(TOKEN, *[(503, {"errors": [UNAVAILABLE]}, {})] * 10)
    with pytest.raises(GaveUp) as caught:
        client(script, time, retries=3).call(GET_ORDERS, "/orders/v0/orders")
    assert script.api_calls() == 4
    assert len(time.sleeps) == 3 and time.sleeps == sorted(time.sleeps)  # exponential
    assert "HTTP 503 ServiceUnavailable: Service is temporarily unavailable." in str(caught.value)
    assert "gave up after 4 attempt(s)" in str(caught.value)


def test_total_back_off_is_bounded_by_max_wait():
    time = FakeTime()
    script = Script(TOKEN, *[(429, {"errors": [QUOTA]}, {})] * 50)
    with pytest.raises(GaveUp):
        client(script, time, retries=40, max_wait=90.0).call(GET_ORDERS, "/orders/v0/orders")
    assert sum(time.sleeps) <= 90.0 + 1e-9
    assert script.api_calls() < 10


def test_network_errors_are_retried_then_reported():
    time = FakeTime()
    script = Script(TOKEN, TransportError("GET sellingpartnerapi-eu.amazon.com/orders/v0/orders: timed out"), PAGE)
    assert client(script, time).call(GET_ORDERS, "/orders/v0/orders").data == {"payload": {"Orders": []}}
    script = Script(TOKEN, *[TransportError("GET host/path: timed out")] * 3)
    with pytest.raises(GaveUp, match="network error: GET host/path: timed out"):
        client(script, FakeTime(), retries=2).call(GET_ORDERS, "/orders/v0/orders")


@pytest.mark.parametrize("status, error", [
    (400, {"code": "InvalidInput", "message": "Invalid Input"}),
    (403, DENIED),
    (404, {"code": "NotFound", "message": "The requested resource was not found."}),
])
def test_client_errors_are_not_retried_and_carry_amazons_words(status, error):
    time = FakeTime()
    script = Script(TOKEN, (status, {"errors": [error]}, {}))
    with pytest.raises(SpApiError) as caught:
        client(script, time).call(GET_ORDERS, "/orders/v0/orders")
    assert script.api_calls() == 1 and time.sleeps == []
    assert caught.value.code == error["code"] and caught.value.status == status
    assert f"getOrders: HTTP {status} {error['code']}: {error['message']}" in str(caught.value)


def test_an_expired_token_is_refreshed_once():
    script = Script(TOKEN, (403, {"errors": [EXPIRED]}, {}), TOKEN, PAGE)
    client(script, FakeTime()).call(GET_ORDERS, "/orders/v0/orders")
    assert sum(1 for _, url, _ in script.sent if url.endswith("/auth/o2/token")) == 2
    # ...and only once: a second "expired" is an error, not a loop.
    script = Script(TOKEN, (403, {"errors": [EXPIRED]}, {}), TOKEN, (403, {"errors": [EXPIRED]}, {}))
    with pytest.raises(SpApiError, match="expired"):
        client(script, FakeTime()).call(GET_ORDERS, "/orders/v0/orders")


def test_the_access_token_is_cached_until_shortly_before_it_expires():
    time = FakeTime()
    posts = []

    def post(form: bytes) -> Response:
        posts.append(form)
        return Response(200, Message(), json.dumps({"access_token": f"Atza|token-{len(posts)}",
                                                    "expires_in": 3600}).encode())

    tokens = AccessTokens(Credentials("Atzr|r", "app", "secret"), post, clock=time.clock)
    assert tokens.get() == "Atza|token-1"
    time.now += 3000
    assert tokens.get() == "Atza|token-1"
    time.now += 541  # 59 s before expiry: too close to send it
    assert tokens.get() == "Atza|token-2"
    assert b"grant_type=refresh_token" in posts[0]


def test_the_token_rides_in_the_header_never_in_the_url():
    script = Script(TOKEN, PAGE)
    client(script, FakeTime()).call(GET_ORDERS, "/orders/v0/orders", {"MarketplaceIds": "APJ6JRA9NG5V4"})
    method, url, headers = script.sent[1]
    assert headers["x-amz-access-token"] == "Atza|unit-test-token"
    assert "Atza" not in url and url.endswith("/orders/v0/orders?MarketplaceIds=APJ6JRA9NG5V4")
