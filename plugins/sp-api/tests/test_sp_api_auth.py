"""Credentials from the environment or a file, and endpoints that can be trusted with them."""

from __future__ import annotations

import pytest
from order_guard.errors import UsageError

from order_guard_sp_api.addressing import parse
from order_guard_sp_api.auth import load_credentials
from order_guard_sp_api.settings import endpoint_for
from sp_api_data import AS_OF, ORDERS, orders_url


def test_credentials_file_outside_the_repository(sp_env, run_cli, monkeypatch, tmp_path):
    for name in ("SP_API_REFRESH_TOKEN", "LWA_APP_ID", "LWA_CLIENT_SECRET"):
        monkeypatch.delenv(name)
    path = tmp_path / "config" / "order-guard" / "sp-api.yaml"  # $XDG_CONFIG_HOME/order-guard/sp-api.yaml
    path.parent.mkdir(parents=True)
    path.write_text(f"refresh_token: '{sp_env.refresh_token}'\nlwa_app_id: {sp_env.client_id}\n"
                    f"lwa_client_secret: {sp_env.client_secret}\n", encoding="utf-8")
    path.chmod(0o600)
    result = run_cli("check", "--dataset", f"orders={orders_url()}", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["summary"]["records_read"] == len(ORDERS)


def test_python_amazon_sp_api_credentials_file_with_a_profile(monkeypatch, tmp_path):
    path = tmp_path / "credentials.yml"
    path.write_text("version: '1.0'\ndefault:\n  refresh_token: Atzr|from-file-123\n  lwa_app_id: app-from-file\n"
                    "  lwa_client_secret: secret-from-file\n  endpoint: https://sandbox.sellingpartnerapi-eu.amazon.com\n",
                    encoding="utf-8")
    path.chmod(0o600)
    environ = {"SP_API_CREDENTIALS_FILE": str(path), "LWA_APP_ID": "app-from-env"}
    credentials = load_credentials(environ)
    assert (credentials.refresh_token, credentials.lwa_app_id) == ("Atzr|from-file-123", "app-from-env")
    assert credentials.endpoint == "https://sandbox.sellingpartnerapi-eu.amazon.com"
    assert "from-file" not in repr(credentials)


def test_missing_credentials_are_named_not_shown(sp_env, run_cli, monkeypatch):
    monkeypatch.delenv("LWA_CLIENT_SECRET")
    result = run_cli("check", "--dataset", f"orders={orders_url()}", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "LWA_CLIENT_SECRET" in result.stderr and "sp-api.yaml" in result.stderr
    assert sp_env.refresh_token not in result.stderr and sp_env.seen == []


def test_a_broken_credentials_file_does_not_quote_its_lines(monkeypatch, tmp_path):
    path = tmp_path / "sp-api.yaml"
    path.write_text("refresh_token: Atzr|very-secret-value\nlwa_app_id: [unclosed\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_credentials({"SP_API_CREDENTIALS_FILE": str(path)})
    assert "not valid YAML (line" in str(caught.value) and "very-secret" not in str(caught.value)


def test_login_with_amazon_refusing_the_grant_is_a_clear_incomplete_run(sp_env, run_cli, monkeypatch):
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", "Atzr|revoked-refresh-token-0000")
    result = run_cli("check", "--dataset", f"orders={orders_url()}", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert "Login with Amazon: HTTP 400 invalid_grant" in result.stdout
    assert "revoked-refresh-token" not in result.stdout + result.stderr


@pytest.mark.parametrize("url", ["http://sellingpartnerapi-eu.amazon.com", "https://user:pw@example.com",
                                 "ftp://example.com"])
def test_credentials_only_travel_over_https_or_to_this_machine(sp_env, run_cli, monkeypatch, url):
    monkeypatch.setenv("LWA_TOKEN_URL", url)
    result = run_cli("check", "--dataset", f"orders={orders_url()}", "--as-of", AS_OF)
    assert result.exit_code == 2 and "LWA_TOKEN_URL must" in result.stderr
    assert sp_env.seen == []


def test_the_endpoint_is_the_marketplaces_region():
    italy = parse("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=2026-11-01")
    assert endpoint_for(italy, None) == "https://sellingpartnerapi-eu.amazon.com"
    japan = parse("sp-api://orders?marketplace=A1VC38T7YXB528&created_after=2026-11-01&sandbox=1")
    assert endpoint_for(japan, None) == "https://sandbox.sellingpartnerapi-fe.amazon.com"
    assert endpoint_for(italy, "http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    mixed = parse("sp-api://orders?marketplace=APJ6JRA9NG5V4,ATVPDKIKX0DER&created_after=2026-11-01")
    with pytest.raises(UsageError, match="several regions"):
        endpoint_for(mixed, None)
