"""order_guard.digests: hashlib's SHA-256, whichever implementation computes it."""

from __future__ import annotations

import hashlib
import os

import pytest

from order_guard import digests
from order_guard.files.opening import open_data_file


@pytest.mark.parametrize("size", [0, 1, 1000, digests.BIG - 1, digests.BIG, digests.BIG + 1])
def test_a_digest_is_hashlib_s_at_every_size(size):
    data = os.urandom(size)
    assert digests.sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    fed = digests.sha256(size=size)
    fed.update(data[: size // 2])
    fed.update(data[size // 2:])
    assert fed.hexdigest() == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("size", [10, digests.BIG + 10])
def test_a_data_file_s_digest_is_hashlib_s(tmp_path, size):
    path = tmp_path / "orders.txt"
    path.write_bytes(b"order-id\tstatus\r\n" + b"x" * size)
    opened = open_data_file(path)
    try:
        opened.text.read()
        assert opened.sha256() == hashlib.sha256(path.read_bytes()).hexdigest()
    finally:
        opened.close()


def test_a_gate_does_not_load_openssl_for_its_small_digests():
    import subprocess
    import sys

    code = "import sys, order_guard.digests as d; d.sha256(b'x').hexdigest(); print('hashlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == ("True" if digests._BUILTIN is None else "False")
