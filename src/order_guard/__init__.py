"""order-guard: stop a parcel that must not leave, and prove afterwards what happened.

Importing this package loads no plugin and reads no metadata; the plugin
manager is built per run by :func:`order_guard.manager.get_plugin_manager`.
Nor does it import pluggy before :data:`hookimpl` is first asked for: the
command line imports this package before it sets up its run (see ``cli.main``).
"""

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str) -> object:
    if name == "hookimpl":
        import pluggy

        global hookimpl
        #: Marks a plugin function as an implementation of an ``order_guard_*`` hook.
        hookimpl = pluggy.HookimplMarker("order_guard")
        return hookimpl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
