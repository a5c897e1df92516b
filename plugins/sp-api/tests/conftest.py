"""Fixtures: a local SP-API, the environment that points the plugin at it, and the CLI in-process.

The plugin is loaded the way users get it: through its ``order_guard`` entry
point (autoload on), so ``pip install -e plugins/sp-api`` must have run.
"""

from __future__ import annotations

import pytest

import sp_api_data
from sp_api_fake import FakeAmazon


@pytest.fixture
def amazon():
    fake = FakeAmazon().start()
    sp_api_data.load(fake)
    yield fake
    fake.stop()


@pytest.fixture
def sp_env(amazon, monkeypatch, tmp_path):
    """Credentials and endpoints of the fake Amazon; waits kept tiny so retries take milliseconds."""
    monkeypatch.delenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("ORDER_GUARD_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("SP_API_CREDENTIALS_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # never a real user's credentials file
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", amazon.refresh_token)
    monkeypatch.setenv("LWA_APP_ID", amazon.client_id)
    monkeypatch.setenv("LWA_CLIENT_SECRET", amazon.client_secret)
    monkeypatch.setenv("SP_API_ENDPOINT", amazon.url)
    monkeypatch.setenv("LWA_TOKEN_URL", amazon.token_url)
    monkeypatch.setenv("ORDER_GUARD_SP_API_MAX_WAIT", "0.02")
    monkeypatch.setenv("ORDER_GUARD_SP_API_REPORT_WAIT", "2")
    monkeypatch.setenv("ORDER_GUARD_SP_API_TIMEOUT", "5")
    return amazon


@pytest.fixture
def run_cli(order_guard_cli):
    """``order-guard ARGS...`` in-process (order_guard.testing), plugins loaded from their entry points."""
    return order_guard_cli
