"""order-guard: stop a parcel that must not leave, and prove afterwards what happened.

Importing this package loads no plugin and reads no metadata; the plugin
manager is built per run by :func:`order_guard.manager.get_plugin_manager`.
"""

import pluggy

__version__ = "0.1.0"

#: Marks a plugin function as an implementation of an ``order_guard_*`` hook.
hookimpl = pluggy.HookimplMarker("order_guard")

__all__ = ["__version__", "hookimpl"]
