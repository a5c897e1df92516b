"""The hooks of order-guard: the one contract between the host and its plugins.

Every hook takes no argument and yields typed objects from
:mod:`order_guard.types`. Built-in sources, formats, operators, reporters and
the Amazon rule pack come in through these same hooks (see
``order_guard.builtin``), so a third-party plugin can do anything they do.

A plugin is a module or object with functions marked ``@order_guard.hookimpl``,
declared in its distribution's metadata::

    [project.entry-points.order_guard]
    my_plugin = "my_package.plugin"

Hooks are public API: they grow by new hooks or new optional fields on the
typed objects, never by changing a signature in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from order_guard.types import (
        FlatFormat,
        JsonFormat,
        Operator,
        Reporter,
        RulePack,
        Source,
    )

hookspec = pluggy.HookspecMarker("order_guard")


@hookspec
def order_guard_sources() -> Iterable[Source]:
    """Register dataset sources: where ``--dataset KIND=LOCATION`` values are read from.

    Called once per run, when the registry is built. Yield
    :class:`order_guard.types.Source` objects. Example::

        @order_guard.hookimpl
        def order_guard_sources():
            yield Source(name="ftp", claims=lambda loc: loc.startswith("ftp://"),
                         open=open_ftp_dataset, priority=10)
    """


@hookspec
def order_guard_formats() -> Iterable[FlatFormat | JsonFormat]:
    """Register file formats: how a report or JSON document maps to canonical records.

    Called once per run. Yield :class:`order_guard.types.FlatFormat` (matched
    by header names) or :class:`order_guard.types.JsonFormat` (matched by
    shape). Example::

        @order_guard.hookimpl
        def order_guard_formats():
            yield FlatFormat(name="my-erp-shipments", kind="shipments",
                             columns={"order_id": ["amazon-ref"], "ship_date": ["sent-on"]},
                             requires=[["amazon-ref"], ["sent-on"]])
    """


@hookspec
def order_guard_operators() -> Iterable[Operator]:
    """Register condition operators: the vocabulary rules are written in.

    Called once per run, before rule files are validated: the rule-file
    JSON Schema is generated from the operators registered here. Yield
    :class:`order_guard.types.Operator` objects. Example::

        @order_guard.hookimpl
        def order_guard_operators():
            yield Operator(name="is_even", schema={"type": "boolean"},
                           compile=lambda arg, field, ctx: lambda r: (r.get(field, 1) % 2 == 0) == arg)
    """


@hookspec
def order_guard_reporters() -> Iterable[Reporter]:
    """Register output formats for ``--format`` and ``--output FORMAT=PATH``.

    Called once per run. Yield :class:`order_guard.types.Reporter` objects. Example::

        @order_guard.hookimpl
        def order_guard_reporters():
            yield Reporter(name="count", render=lambda report, out, opts:
                           out.write(f"{len(report.findings)}\\n"))
    """


@hookspec
def order_guard_rule_packs() -> Iterable[RulePack]:
    """Register rule packs that run when ``order-guard check`` is given no ``--rules``.

    Called once per run. Yield :class:`order_guard.types.RulePack` objects
    pointing at a YAML file or a directory of YAML files. Example::

        @order_guard.hookimpl
        def order_guard_rule_packs():
            yield RulePack(name="acme", path=Path(__file__).parent / "rules")
    """
