"""order-guard source plugin for Amazon's Selling Partner API.

``--dataset orders=sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=...``
reads orders from the Orders API (v0, or v2026-01-01 with ``api=2026-01-01``);
``sp-api://reports/REPORT_TYPE?marketplace=...`` reads a flat-file report
through the Reports API. Importing this package does nothing: the network is
touched only when a dataset's records are read.
"""

__version__ = "0.1.0"
