"""The file source: reads datasets from local files and directories.

Every other source claims its own URL scheme; this one reads whatever they
leave (a plain path). Each file's format is detected from its header (flat
files) or shape (JSON) and printed; ``--dataset KIND=PATH`` narrows the
detection to that kind. A file that cannot be read or recognised becomes a
dataset of kind ``unknown`` carrying the error, so the run goes on, reports
it and exits 3.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from functools import partial
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from order_guard import hookimpl
from order_guard.builtin import json_documents
from order_guard.canonical import KEY_FIELD
from order_guard.datasets import Dataset, DatasetRequest, flat_records, json_records
from order_guard.detection import detect_flat_format, detect_json_format
from order_guard.digests import of_file
from order_guard.errors import OrderGuardError, SourceError, UnreadableRecord
from order_guard.files import jsondocs
from order_guard.files.flat import FlatReader
from order_guard.files.opening import (
    DigestAside,
    OpenedFile,
    first_undecodable,
    legacy_encoding,
    open_data_file,
    open_data_part,
    scan_text,
)
from order_guard.registry import Registry
from order_guard.types import FlatFormat, Source

if TYPE_CHECKING:
    from order_guard.files.parts import Part

#: The first lines are read up to this many characters to tell the layout: a minified JSON
#: document is one line of any size.
LINE_SAMPLE = 1 << 20
#: Files in a directory that are documentation, not data: skipped, and said so.
NOT_DATA = (".md", ".pdf", ".html", ".htm")
UNKNOWN = "unknown"


def _claims(location: str) -> bool:
    return "://" not in location or location.startswith("file://")


def open_files(request: DatasetRequest, registry: Registry) -> list[Dataset]:
    path = Path(request.location.removeprefix("file://"))
    json_documents.limit_chars()  # a bad limit is a usage error, found before any file is read
    if not path.is_dir():
        return [open_file(path, request, registry)]
    # Every file of a directory is input: one the tool cannot read must stop the run, not vanish.
    files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p.relative_to(path)))
    data = [p for p in files if not (p.suffix.lower() in NOT_DATA or p.name.upper().startswith("README"))]
    for skipped in sorted(set(files) - set(data)):
        print(f"order-guard: {skipped}: skipped (documentation, not data)", file=sys.stderr)
    if not data:
        return [_unreadable(path, request, "directory holds no data files")]
    return [open_file(file, request, registry) for file in data]


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def open_file(path: Path, request: DatasetRequest, registry: Registry) -> Dataset:
    """Detect one file's format and return it as a dataset (of kind ``unknown`` if it cannot be)."""
    # A big file's digest is computed from now on by a second process, while this one checks its
    # encoding, reads the other files and compiles: a flat file's reading takes it up.
    digest = DigestAside.for_file(path)
    dataset = _open_file(path, request, registry, digest)
    if digest is not None and dataset.digest is None:
        digest.close()  # not wanted after all (JSON reads digest themselves; the file is unreadable)
    return dataset


def _open_file(path: Path, request: DatasetRequest, registry: Registry, digest: DigestAside | None) -> Dataset:
    stamp = _stamp(path)
    try:
        opened = open_data_file(path, request.encoding)
        encoding = _checked_encoding(path, opened.encoding, forced=request.encoding is not None)
        if encoding != opened.encoding:
            opened.close()
            opened = open_data_file(path, encoding)
    except SourceError as err:
        return _unreadable(path, request, err.detail, err.line)
    except (EOFError, OSError) as err:
        return _unreadable(path, request, f"cannot read: {err} (a truncated or damaged compressed file?)")
    try:
        first_line = opened.text.readline(LINE_SAMPLE)
        while first_line and not first_line.strip("\ufeff \t\r\n"):  # blank lines before the content
            first_line = opened.text.readline(LINE_SAMPLE)
        if first_line.lstrip("\ufeff \t\r\n")[:1] in ("{", "[") or _json_suffix(path):
            if digest is not None:
                digest.close()  # a JSON document's reading digests it (a big one: by a process of its own)
            return _open_json(path, opened, first_line, request, registry, stamp)
        if not first_line.endswith(("\n", "\r")):
            first_line += opened.text.readline()  # the rest of a long header
        return _open_flat(path, opened, first_line, request, registry, stamp, digest)
    except UnicodeDecodeError as err:
        return _unreadable(path, request, f"not valid {err.encoding} text; pass --encoding")
    except (EOFError, OSError) as err:
        return _unreadable(path, request, f"cannot read: {err} (a truncated or damaged compressed file?)")
    except SourceError as err:
        return _unreadable(path, request, err.detail, err.line)
    except OrderGuardError as err:
        return _unreadable(path, request, str(err))
    finally:
        opened.close()


def _refuse_duplicate_columns(path: Path, names: list[str], fmt: FlatFormat) -> None:
    """Two columns of one name the format reads: which one holds the status? Refuse to guess."""
    used = {alias for aliases in (*fmt.columns.values(), *fmt.sums.values()) for alias in aliases}
    seen: set[str] = set()
    for name in names:
        if name in seen and (name in used or name.startswith("x-")):
            raise SourceError(path, f"the header names column {name!r} twice", line=1)
        seen.add(name)


def _json_suffix(path: Path) -> bool:
    """A file named as JSON is read as JSON, so "42" or "null" gets a JSON error, not a flat-file one."""
    suffixes = [suffix.lower() for suffix in path.suffixes if suffix.lower() != ".gz"]
    return bool(suffixes) and suffixes[-1] in (".json", ".jsonl", ".ndjson")


def _checked_encoding(path: Path, encoding: str, forced: bool) -> str:
    """``encoding`` if the whole file decodes with it; else the legacy encoding its bad bytes
    point to (when detected), or an error naming the line (when the user chose it). A file
    whose lines are partly UTF-8 and partly cp1252 is refused: no one encoding reads it right.
    An automatic choice costs one pass over the bytes (``scan_text``)."""
    if encoding.startswith("utf-16"):
        return encoding  # chosen by its byte-order mark
    if forced or encoding == "cp932":
        bad = first_undecodable(path, encoding)
        if bad is not None:
            raise SourceError(path, f"not valid {encoding} text; pass the file's encoding with --encoding",
                              line=bad[0])
        return encoding
    scan = scan_text(path)
    if scan.not_utf8 is None:
        return encoding if encoding.startswith("utf-8") else "utf-8"
    if scan.utf8_line is not None:
        raise SourceError(path, f"mixed encodings: line {scan.utf8_line} is UTF-8 and line {scan.not_utf8[0]} "
                                "is not; save the file in one encoding", line=scan.not_utf8[0])
    legacy = legacy_encoding(scan.not_utf8[1]) if encoding.startswith("utf-8") else encoding
    if legacy == "cp932":
        return _checked_encoding(path, legacy, forced=False)
    return "latin-1" if scan.not_cp1252_line is not None else "cp1252"


def _unreadable(path: Path, request: DatasetRequest, message: str, line: int | None = None) -> Dataset:
    dataset = Dataset(location=str(path), kind=request.kind or UNKNOWN, format=UNKNOWN,
                      read_records=lambda ds: iter(()))
    dataset.unreadable(message, line)
    return dataset


def _details(opened: OpenedFile, **more: Any) -> dict[str, Any]:
    return {"encoding": opened.encoding, "compressed": "gzip" if opened.compressed else None, **more}


def _stamp(path: Path) -> os.stat_result | None:
    """A regular file's identity, size and modification time before it is read (pipes have none)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def _changed(path: Path, stamp: os.stat_result | None, read: int) -> str | None:
    """Why the bytes just read are not the file as it was opened, if they are not: a writer
    truncating or appending to it, or replacing it, while the run read it."""
    if stamp is None:
        return None
    if read != stamp.st_size:
        return f"{stamp.st_size} bytes when it was opened, {read} read"
    try:
        now = path.stat()
    except OSError:
        return None  # gone since, but every byte of it was read
    if (now.st_ino, now.st_size, now.st_mtime_ns) != (stamp.st_ino, stamp.st_size, stamp.st_mtime_ns):
        return "it was modified or replaced"
    return None


def _note_change(dataset: Dataset, path: Path, stamp: os.stat_result | None, opened: OpenedFile) -> None:
    """The digest of what was read, and an error when that is not the whole file as it was opened:
    a report cut between two rows reads like a complete one."""
    if not dataset.take_digest(opened.sha256):
        return
    changed = _changed(path, stamp, opened.bytes_read)
    if changed:
        dataset.error(f"the file changed while it was read ({changed}): check it again once it is written completely")


def _reopen(dataset: Dataset, path: Path, encoding: str, digest: DigestAside | None = None) -> OpenedFile | None:
    """The file opened again for its records; gone or unreadable since it was detected, the
    dataset says so and the run goes on to report the rest (exit 3)."""
    try:
        return open_data_file(path, encoding, digest)
    except SourceError as err:
        dataset.error(f"{err.detail} (it was there when the run began); none of its records were checked")
        return None


def _open_flat(path: Path, opened: OpenedFile, first_line: str, request: DatasetRequest,
               registry: Registry, stamp: os.stat_result | None, digest: DigestAside | None) -> Dataset:
    header = FlatReader(StringIO(first_line + opened.text.readline(), newline=""))
    fmt = detect_flat_format(path, header.names, registry, request.kind)
    _refuse_duplicate_columns(path, header.names, fmt)
    delimiter = {"\t": "tab", ",": "comma", ";": "semicolon"}[header.delimiter]
    encoding = request.encoding

    def read(dataset: Dataset) -> Iterator[dict[str, Any]]:
        again = _reopen(dataset, path, encoding or opened.encoding, digest)
        if again is None:
            return
        try:
            try:
                reader = FlatReader(again.text, again.seen)
            except (UnicodeDecodeError, EOFError, OSError) as err:
                dataset.error(f"cannot read: {err}", 1)
                return
            yield from flat_records(dataset, reader, fmt)
            _note_change(dataset, path, stamp, again)
        finally:
            again.close()

    def parts(count: int) -> tuple[Callable[[], str], list[Dataset]] | None:
        from order_guard.files.parts import cut as cut_file  # here: only --jobs cuts a file
        from order_guard.files.parts import cuttable

        chosen = encoding or opened.encoding
        key = next((header.names.index(alias) for alias in fmt.columns.get(KEY_FIELD[fmt.kind], ())
                    if alias in header.names), None)
        if key is None or not cuttable(chosen, header.delimiter, opened.compressed):
            return None
        cut = cut_file(path, 1 + header.preamble_lines, key, count)
        if cut is None:
            return None

        def reader_of(part: Part) -> Callable[[Dataset], Iterator[dict[str, Any]]]:
            def read_part(dataset: Dataset) -> Iterator[dict[str, Any]]:
                piece = open_data_part(path, chosen, cut.header, part.start, part.end)
                try:
                    yield from flat_records(dataset, FlatReader(piece.text, piece.seen, part.lines_before), fmt)
                finally:
                    piece.close()
                # A part reads only its bytes: the file as a whole is compared with how it was opened.
                changed = _changed(path, stamp, stamp.st_size) if stamp is not None else None
                if changed:
                    dataset.error(f"the file changed while it was read ({changed}): "
                                  "check it again once it is written completely")

            return read_part

        return digest.hexdigest if digest is not None else partial(of_file, path), [
            Dataset(location=str(path), kind=fmt.kind, format=fmt.name, read_records=reader_of(part))
            for part in cut.parts]

    return Dataset(location=str(path), kind=fmt.kind, format=fmt.name, read_records=read,
                   details=_details(opened, delimiter=delimiter), parts=parts,
                   digest=digest.hexdigest if digest is not None else None)


def _open_json(path: Path, opened: OpenedFile, first_line: str, request: DatasetRequest,
               registry: Registry, stamp: os.stat_result | None) -> Dataset:
    second_line = opened.text.readline(LINE_SAMPLE)
    if first_line.endswith(("\n", "\r")) and jsondocs.is_json_lines(first_line, second_line):
        sample = next(value for _, value in jsondocs.iter_lines(StringIO(first_line + second_line))
                      if not isinstance(value, UnreadableRecord))
        fmt = detect_json_format(path, sample, registry, request.kind)
        encoding = request.encoding or opened.encoding

        def read_lines(dataset: Dataset) -> Iterator[dict[str, Any]]:
            again = _reopen(dataset, path, encoding)
            if again is None:
                return
            lines = jsondocs.LineReader(again.text)
            try:
                yield from json_records(dataset, lines, fmt)
            except (UnicodeDecodeError, EOFError, OSError) as err:
                dataset.unreadable(f"cannot read further: {err}", lines.line + 1)
            else:
                _note_change(dataset, path, stamp, again)
            finally:
                again.close()

        return Dataset(location=str(path), kind=fmt.kind, format=fmt.name, read_records=read_lines,
                       details=_details(opened, layout="json-lines"))

    text = first_line + second_line
    text += opened.text.read(max(0, json_documents.WHOLE_BELOW - len(text)))
    try:
        if len(text) >= json_documents.WHOLE_BELOW:  # big (or exactly that size): read in bounded memory
            return json_documents.open_document(path, opened, text, request, registry, _details(opened))
        document = jsondocs.parse_document(text)  # the text itself: a StringIO copy costs 1.3 ms per 500 KB
    except UnreadableRecord as err:
        dataset = _unreadable(path, request, err.message, err.line)
        _note_change(dataset, path, stamp, opened)
        return dataset
    fmt = detect_json_format(path, document, registry, request.kind)
    dataset = json_documents.whole_dataset(path, document, fmt, _details(opened), None)
    _note_change(dataset, path, stamp, opened)
    return dataset


@hookimpl(trylast=True)
def order_guard_sources() -> Iterator[Source]:
    yield Source(name="file", claims=_claims, open=open_files, priority=-1000,
                 description="local files and directories: flat-file reports, SP-API JSON, JSON Lines; gzip")
