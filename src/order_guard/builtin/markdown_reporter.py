"""``--format markdown``: (being written)."""
