"""The bulk engine: DuckDB scans a large flat orders file, Python checks what may fail.

``--engine duckdb`` (the optional extra ``order-guard[duckdb]``) gives a flat
orders file a :class:`order_guard.pushdown.Pushdown`, the same hook the SQL
source uses: DuckDB reads the file multi-threaded, converts each cell the
checks read to its canonical value where it can vouch for it exactly as
:mod:`order_guard.rowreader` would read it, and runs the checks compiled by
:mod:`order_guard.sql`. Only the orders that may fail a check, the rows it
cannot vouch for and the orders a look-up or aggregate needs are read back
from the file, by line number, and checked by the Python engine, so findings,
messages, evidence, locations and counts are the streaming engine's by
construction. ``--engine auto`` (the default) picks it for large inputs
(:mod:`order_guard.bulk.choice`); nothing here imports DuckDB until it runs.
"""
