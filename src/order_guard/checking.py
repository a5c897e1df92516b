"""One check run as a library call: plugins, rules, datasets, engine, report.

The CLI, the pytest plugin and the Python API all go through :func:`run_check`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from order_guard.baseline import load_baseline
from order_guard.bulk.choice import choose as choose_engine
from order_guard.datasets import Dataset, DatasetRequest
from order_guard.engine import Engine
from order_guard.errors import UsageError
from order_guard.manager import get_plugin_manager
from order_guard.redaction import Redactor
from order_guard.registry import Registry
from order_guard.report import Report, build_report
from order_guard.rulelang.loader import load_packs
from order_guard.rulelang.model import Pack
from order_guard.types import DATASET_KINDS


@dataclass
class CheckRequest:
    datasets: Sequence[DatasetRequest]
    rules: Sequence[Path] = ()
    as_of: datetime | None = None
    show_buyer_data: bool = False
    plugins: Sequence[str] = ()
    disabled_plugins: Sequence[str] = ()
    waivers: Path | None = None
    baseline: Path | None = None
    #: Called with each dataset as it is detected (the CLI prints it to stderr).
    on_dataset: Callable[[Dataset], None] = field(default=lambda dataset: None)
    #: Called once the checks ran, with where each rule ran per dataset (pushed down or streamed).
    on_explain: Callable[[list], None] | None = None
    #: Processes a large flat orders file may be read by (``--jobs``).
    jobs: int = 1
    #: ``auto`` (DuckDB for a large orders file, where installed), ``duckdb`` or ``streaming``.
    engine: str = "auto"


def load_registry(plugins: Iterable[str] = (), disabled: Iterable[str] = ()) -> Registry:
    return Registry.from_plugins(get_plugin_manager(plugins=plugins, disabled=disabled))


def default_rule_paths(registry: Registry) -> list[Path]:
    return [pack.path for pack in registry.packs.values()]


def require_rules(packs: Sequence[Pack], paths: Sequence[Path]) -> None:
    """A run with no rule checks nothing: refuse it rather than report it clean."""
    if not any(pack.rules for pack in packs):
        where = ", ".join(map(str, paths)) or "the installed packs (is the Amazon pack disabled?)"
        raise UsageError(f"no rules to run: none found in {where}")


def open_datasets(requests: Sequence[DatasetRequest], registry: Registry) -> list[Dataset]:
    if not requests:
        raise UsageError("no data to check: give a path or --dataset KIND=SOURCE")
    sources = sorted(registry.sources.values(), key=lambda source: -source.priority)
    datasets: list[Dataset] = []
    for request in requests:
        if request.kind is not None and request.kind not in DATASET_KINDS:
            raise UsageError(f"unknown dataset kind {request.kind!r}; kinds: {', '.join(DATASET_KINDS)}")
        source = next((s for s in sources if s.claims(request.location)), None)
        if source is None:
            raise UsageError(f"no source plugin reads {request.location!r}")
        datasets.extend(source.open(request, registry))
    return datasets


def _load_waivers(path: Path) -> list:
    from order_guard.waivers import load_waivers  # here: it reads YAML, and most gate runs have no waivers

    return load_waivers(path)


def run_check(request: CheckRequest, registry: Registry | None = None) -> tuple[Report, list[Pack]]:
    """Run one check; ``registry`` defaults to one built from the request's plugins."""
    registry = registry or load_registry(request.plugins, request.disabled_plugins)
    rule_paths = list(request.rules) or default_rule_paths(registry)
    packs = load_packs(rule_paths, registry.operators)
    require_rules(packs, rule_paths)
    waivers = _load_waivers(request.waivers) if request.waivers else []
    baseline = (load_baseline(request.baseline), str(request.baseline)) if request.baseline else None
    rules = [rule for pack in packs for rule in pack.rules]
    as_of = request.as_of or datetime.now(UTC).replace(microsecond=0)
    datasets = open_datasets(request.datasets, registry)
    for dataset in datasets:
        request.on_dataset(dataset)
    engine = Engine(rules, registry.operators, as_of, Redactor(request.show_buyer_data), jobs=request.jobs)
    choice = choose_engine(request.engine, datasets, engine, registry)
    result = engine.run(datasets)
    choice.settle()
    if request.on_explain is not None:
        request.on_explain(result.explain)
    report = build_report(result, packs, waivers, baseline)
    data = report.data  # the engine goes beside the inputs it read
    report.data = {**{key: data[key] for key in ("tool", "as_of", "inputs")}, "engine": choice.as_report(),
                   **{key: value for key, value in data.items() if key not in ("tool", "as_of", "inputs")}}
    return report, packs
