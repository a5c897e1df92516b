"""``--format sarif``: (being written)."""
