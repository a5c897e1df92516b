"""``python -m order_guard`` runs the command line."""

import sys

from order_guard.cli import main

sys.exit(main())
