"""``--format github``: (being written)."""
