"""The writers of the built-in output formats other than the table.

Each is imported only when its format is asked for: the plugins that register
them (``order_guard.builtin.*_reporter``) stay light, so a gate run pays for
the one format it writes.
"""
