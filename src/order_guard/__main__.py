"""``python -m order_guard`` runs the command line."""

from order_guard.cli import run

run()
