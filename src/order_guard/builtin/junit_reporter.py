"""``--format junit``: (being written)."""
