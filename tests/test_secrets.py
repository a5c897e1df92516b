"""Secrets registered by sources never reach messages, logs or reports."""

from __future__ import annotations

import logging

from order_guard.secrets import MASK, SecretFilter, register_secret, scrub


def test_registered_secrets_and_url_passwords_are_masked():
    register_secret("Atzr|refresh-token-value-123")
    assert scrub("token Atzr|refresh-token-value-123 refused") == f"token {MASK} refused"
    assert scrub("postgresql+psycopg://shop:hunter2@db/test?table=orders") == \
        f"postgresql+psycopg://shop:{MASK}@db/test?table=orders"
    assert scrub("nothing to hide") == "nothing to hide"


def test_short_values_are_not_registered_so_messages_stay_readable():
    register_secret("abc")
    assert scrub("abc abc") == "abc abc"


def test_the_log_filter_scrubs_messages_arguments_and_tracebacks(caplog):
    register_secret("client-secret-xyz-987")
    logger = logging.getLogger("order_guard.test")
    handler = logging.Handler()
    records = []
    handler.emit = records.append
    handler.addFilter(SecretFilter())
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("login failed with client-secret-xyz-987")
        except RuntimeError:
            logger.exception("posting %s", "client-secret-xyz-987")
    finally:
        logger.removeHandler(handler)
    (record,) = records
    assert "client-secret-xyz-987" not in record.getMessage()
    assert "client-secret-xyz-987" not in (record.exc_text or "")
    assert MASK in record.getMessage() and MASK in record.exc_text


def test_logging_imported_after_the_cli_configured_it_is_scrubbed_too():
    """A gate does not import logging; a plugin that imports it later still logs through the filter."""
    import subprocess
    import sys

    code = ("import sys, importlib.util; from order_guard.secrets import configure_logging, register_secret; "
            "configure_logging(); assert 'logging' not in sys.modules; register_secret('client-secret-xyz-987'); "
            "assert importlib.util.find_spec('logging') and 'logging' not in sys.modules; "
            "import logging; logging.getLogger('order_guard.late').warning('login with client-secret-xyz-987')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"order-guard: order_guard.late: login with {MASK}\n"
