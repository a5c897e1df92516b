"""``--jobs N``: the streamed orders read by N processes, one part of the file each, then merged.

Each process is a fork of the run as it stands before the stream (rules compiled, look-up
datasets loaded and indexed), streams its part exactly as the whole file would be streamed,
and sends back what the stream leaves: findings per order, the snapshots it kept, aggregate
shares, the index entries of orders that other datasets look up, counts and errors. Parts
hold whole orders (``files/parts.py``), so the merge is exact unless one order appears in two
parts and one of them kept it (a newer snapshot retracts an older one's findings, across parts);
each part says which orders it held, and then the file is streamed again in one process.
A later part numbers its lines from its own start; the merge adds the lines of the parts before
it, once they are read (where a part could not be read to its end, the file is streamed whole).
"""

from __future__ import annotations

import dataclasses
import signal
from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from order_guard.datasets import MAX_KEPT_ERRORS, Dataset, ReadError

if TYPE_CHECKING:
    from order_guard.engine import Engine, RunResult, _Snapshots
    from order_guard.relevance import Relevance

STREAMED = "orders"

#: What a forked process works on (set just before the fork, so children inherit it).
_WORK: tuple[Any, ...] | None = None


@dataclass
class _PartOutcome:
    findings: dict[str, dict[str, Any]]
    versions: dict[str, Any]
    aggregates: list[tuple[dict, dict, list]]
    indexes: list[dict]
    records_checked: int
    rule_errors: list[ReadError]
    read: int
    unreadable: int
    skipped: int
    errors: list[ReadError]
    errors_not_kept: int
    warnings: list[ReadError]
    #: the part's last line number, as it numbered its lines (None: not read to its end)
    last_line: int | None
    #: hashes of every order id the part held (a fork shares the parent's string hashing), as
    #: machine integers: half a million of them pickle as one block of bytes, not as a set
    keys: array


def stream(engine: Engine, dataset: Dataset, feeds: list, snapshots: _Snapshots, result: RunResult,
           relevance: Relevance | None) -> bool:
    """Stream ``dataset`` in ``engine.jobs`` processes and merge into ``snapshots``/``result``;
    False when it was not (the file cannot be cut, or an order spans parts): stream it whole."""
    global _WORK
    if engine.jobs < 2 or dataset.parts is None or snapshots.versions or snapshots.findings:
        return False
    import multiprocessing  # here: only --jobs needs these, and importing them costs every run's start
    from concurrent.futures import ThreadPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    split = dataset.parts(engine.jobs)
    if split is None:
        return False
    digest, parts = split
    for part in parts:
        part.wanted_fields, part.seen_keys = dataset.wanted_fields, array("q")
    _WORK = (engine, parts, feeds, snapshots, relevance)
    processes: list[tuple[Any, Any]] = []
    try:
        # One process per part, each forked with the run as it stands (a pool's worker that took a
        # second part would start it with the first part's snapshots; a pool also forks workers
        # to replace those done, which its ending then stops with SIGTERM, noisily).
        context = multiprocessing.get_context("fork")
        for number in range(len(parts)):
            processes.append(_start_part(context, number))
        # The parts are forked by now: the digest is computed in a thread beside them (or, for a
        # big file, waited for there from the process computing it since the file was detected).
        with ThreadPoolExecutor(1) as hasher:
            hashing = hasher.submit(digest)
            outcomes = [_outcome(receiving) for _process, receiving in processes]
    finally:
        _WORK = None
        for process, receiving in processes:
            receiving.close()
            if process.is_alive():  # stopped early (an error, Ctrl-C, SIGTERM): the part is not wanted
                process.terminate()
            process.join()
    if any(outcome is None for outcome in outcomes) or \
            any(outcome.last_line is None for outcome in outcomes[:-1]) or _an_order_spans_parts(outcomes):
        return False
    _merge(engine, dataset, outcomes, snapshots, result)
    dataset.take_digest(hashing.result)
    dataset.details["processes"] = f"{len(parts)} processes"
    return True


def _start_part(context: Any, number: int) -> tuple[Any, Any]:
    """A process streaming part ``number``, and the end of the pipe its outcome comes back on.
    SIGTERM and SIGINT wait while it is forked: it is stopped quietly, never by the run's handler."""
    receiving, sending = context.Pipe(duplex=False)
    quiet = {signal.SIGTERM, signal.SIGINT}
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, quiet)
    try:
        process = context.Process(target=_part_process, args=(number, sending, blocked), daemon=True,
                                  name=f"order-guard part {number + 1}")
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    sending.close()
    return process, receiving


def _part_process(number: int, sending: Any, mask: set) -> None:
    """A part's process: it dies quietly when the run stops it (Ctrl-C is the run's to handle),
    and sends back its outcome, or the exception that stopped it."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    try:
        outcome: Any = _stream_part(number)
    except BaseException as err:  # the run raises it as one process would have
        outcome = _Failed(err)
    try:
        sending.send(outcome)
    except Exception as err:  # what cannot be sent as it is (an exception of a plugin's): its words are
        problem = outcome.error if isinstance(outcome, _Failed) else err
        sending.send(_Failed(RuntimeError(f"{type(problem).__name__}: {problem}")))
    sending.close()


class _Failed:
    """What a part's process sends back when its streaming raised."""

    def __init__(self, error: BaseException):
        self.error = error


def _outcome(receiving: Any) -> _PartOutcome | None:
    """The part's outcome; None where its process died without a word (killed, out of memory):
    the file is then streamed in one process."""
    try:
        outcome = receiving.recv()
    except EOFError:
        return None
    if isinstance(outcome, _Failed):
        raise outcome.error
    return outcome


def _stream_part(number: int) -> _PartOutcome:
    from order_guard.engine import RunResult

    engine, parts, feeds, snapshots, relevance = _WORK  # type: ignore[misc]
    part: Dataset = parts[number]
    result = RunResult(as_of=engine.as_of, rules=[], datasets=[part], findings=[], records_checked=0)
    engine._stream_orders(part, feeds, snapshots, result, relevance)
    findings = {order: {rule_id: dataclasses.replace(finding, rule=rule_id) for rule_id, finding in kept.items()}
                for order, kept in snapshots.findings.items()}  # rules are re-linked in the parent
    return _PartOutcome(
        findings=findings, versions=snapshots.versions,
        aggregates=[aggregate.share() for aggregate in snapshots.aggregates],
        indexes=[table for dataset, _key, _on, _requester, table in engine.links.indexes if dataset == STREAMED],
        records_checked=result.records_checked, rule_errors=result.rule_errors,
        read=part.records_read, unreadable=part.records_unreadable, skipped=part.records_skipped,
        errors=part.errors, errors_not_kept=part.errors_not_kept, warnings=part.warnings,
        last_line=part.last_line, keys=part.seen_keys)


def _an_order_spans_parts(outcomes: list[_PartOutcome]) -> bool:
    """Whether an order a part kept (findings, aggregate shares) also appears in another part, or
    an order's rows run on across a cut: the last order read before it is the first after it
    (a blank or unreadable line at the cut is not a record, and one read merges the rows on either
    side of it into one order, which parts would check in two halves)."""
    last = None  # the hash of the last order id read before this part
    for outcome in outcomes:
        if outcome.keys:
            if outcome.keys[0] == last:
                return True
            last = outcome.keys[-1]
    for number, outcome in enumerate(outcomes):
        kept = set(map(hash, outcome.versions))
        if kept and any(not kept.isdisjoint(other.keys) for index, other in enumerate(outcomes) if index != number):
            return True
    return False


def _merge(engine: Engine, dataset: Dataset, outcomes: list[_PartOutcome], snapshots: _Snapshots,
           result: RunResult) -> None:
    rules = {rule.id: rule for rule in engine.rules}
    streamed_indexes = [table for kind, _key, _on, _requester, table in engine.links.indexes if kind == STREAMED]
    lines_before = 0
    for outcome in outcomes:  # in file order, as one process would have met them
        if lines_before:
            _renumber(outcome, lines_before)
        lines_before += outcome.last_line or 0
        for order, kept in outcome.findings.items():
            snapshots.findings[order] = {rule_id: dataclasses.replace(finding, rule=rules[rule_id])
                                         for rule_id, finding in kept.items()}
        snapshots.versions.update(outcome.versions)
        for aggregate, share in zip(snapshots.aggregates, outcome.aggregates, strict=True):
            aggregate.absorb(share)
        for table, part_table in zip(streamed_indexes, outcome.indexes, strict=True):
            for key, entries in part_table.items():
                table.setdefault(key, []).extend(entries)
        result.records_checked += outcome.records_checked
        result.rule_errors.extend(outcome.rule_errors)
        dataset.records_read += outcome.read
        dataset.records_unreadable += outcome.unreadable
        dataset.records_skipped += outcome.skipped
        for error in outcome.errors:
            if len(dataset.errors) < MAX_KEPT_ERRORS:
                dataset.errors.append(error)
            else:
                dataset.errors_not_kept += 1
        dataset.errors_not_kept += outcome.errors_not_kept
        dataset.warnings.extend(outcome.warnings[:MAX_KEPT_ERRORS - len(dataset.warnings)])


def _renumber(outcome: _PartOutcome, lines_before: int) -> None:
    """Add the lines of the parts before to every line a later part reports (it numbered its lines
    from its own start): findings, records an aggregate could not count, index entries, errors."""
    done: set[int] = set()  # an object two lists share (a record two aggregates kept) moves once

    def first_time(thing: object) -> bool:
        seen = id(thing) in done
        done.add(id(thing))
        return not seen

    for kept in outcome.findings.values():
        for finding in kept.values():
            if finding.location.get("line") is not None and first_time(finding.location):
                finding.location["line"] += lines_before
    records = [record for _table, _by_order, missing in outcome.aggregates for record in missing]
    records += [entry for table in outcome.indexes for entries in table.values() for entry in entries]
    for record in records:
        if record.get("_line") is not None and first_time(record):
            record["_line"] += lines_before
    for error in (*outcome.rule_errors, *outcome.errors, *outcome.warnings):
        if error.line is not None and first_time(error):
            error.line += lines_before
