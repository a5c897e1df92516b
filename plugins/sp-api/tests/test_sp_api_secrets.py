"""No credential or token in any output: stdout, stderr, reports, log records, a traceback."""

from __future__ import annotations

import logging

import order_guard_sp_api.orders
from sp_api_data import AS_OF, orders_url, shipments_file
from sp_api_fake import DENIED


class Collect(logging.Handler):
    """Log records as a handler would write them, before the CLI's filter sees them."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_no_credential_or_token_reaches_any_output(sp_env, run_cli, tmp_path, monkeypatch):
    logger = logging.getLogger("order_guard")
    collect = Collect()
    logger.addHandler(collect)
    monkeypatch.setattr(logger, "level", logging.DEBUG)
    shipments = shipments_file(tmp_path / "confirm.txt")
    outputs: list[str] = []

    def check(*extra: str, url: str = orders_url(restricted="shippingAddress,buyerInfo")) -> int:
        report, html = tmp_path / "report.json", tmp_path / "report.html"
        result = run_cli("check", "--dataset", f"orders={url}", "--dataset", f"shipments={shipments}",
                         "--as-of", AS_OF, "--show-buyer-data", "--output", f"json={report}",
                         "--output", f"html={html}", "--output", f"sarif={tmp_path / 'r.sarif'}", *extra)
        outputs.extend([result.stdout, result.stderr, report.read_text(), html.read_text(),
                        (tmp_path / "r.sarif").read_text()])
        return result.exit_code

    try:
        sp_env.expire_after = 2  # tokens expire mid-run and are refreshed
        assert check() == 1
        assert check("--format", "json") == 1
        sp_env.fault("getOrders", 403, DENIED)  # an error carrying Amazon's body
        assert check() == 3
        # A bug while tokens are in hand: the traceback quotes one.
        sp_env.expire_after = None
        monkeypatch.setattr(order_guard_sp_api.orders, "json_records", _raise_with(sp_env))
        result = run_cli("check", "--dataset", f"orders={orders_url()}", "--as-of", AS_OF)
        assert result.exit_code == 3 and "Traceback" in result.stderr and "forced failure" in result.stderr
        outputs += [result.stdout, result.stderr]
        # Login with Amazon refusing a wrong secret: that secret is a credential too.
        wrong = sp_env.client_secret[:-4] + "beef"
        monkeypatch.setenv("LWA_CLIENT_SECRET", wrong)
        result = run_cli("check", "--dataset", f"orders={orders_url()}", "--as-of", AS_OF)
        assert result.exit_code == 3 and "invalid_client" in result.stdout
        outputs += [result.stdout, result.stderr]
    finally:
        logger.removeHandler(collect)

    secrets = [sp_env.refresh_token, sp_env.client_id, sp_env.client_secret, wrong, *sp_env.issued, *sp_env.rdts]
    assert len(sp_env.issued) >= 3 and sp_env.rdts, "the runs really used several tokens and an RDT"
    assert collect.lines, "the plugin logged something to look at"
    for text in outputs + collect.lines:
        for secret in secrets:
            assert secret not in text
    for secret in secrets:  # the secrets are still what the fake server checks, so the test could fail
        assert len(secret) > 20


def _raise_with(fake):
    def json_records(*args, **kwargs):
        raise RuntimeError(f"forced failure holding {fake.issued[-1]} and {fake.refresh_token}")

    return json_records
