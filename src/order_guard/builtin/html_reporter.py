"""``--format html``: (being written)."""
