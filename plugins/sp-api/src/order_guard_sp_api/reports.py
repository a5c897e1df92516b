"""The Reports API 2021-06-30 flow, ending in the core's flat-file reader.

createReport (or ``report_id=`` for one that exists), getReport until it is
DONE within a bounded wait, getReportDocument, download the presigned URL
(without any token) to a private temporary file, gunzip when
``compressionAlgorithm`` is GZIP, decode with the response's charset
(``Windows-31J`` is cp932), then detect the flat format from the header and
read it with ``flat_records``. Without a charset, python-amazon-sp-api falls
back to ISO-8859-1; order-guard does too (as cp1252, its superset for
printable text), except that a document which is valid UTF-8 throughout is
read as UTF-8 and one that reads as Japanese as cp932: ISO-8859-1 would turn
both into mojibake without an error.
"""

from __future__ import annotations

import codecs
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from order_guard.datasets import Dataset, ReadError, flat_records
from order_guard.detection import detect_flat_format
from order_guard.files.flat import FlatReader
from order_guard.files.opening import first_undecodable, legacy_encoding, open_data_file
from order_guard.registry import Registry

from order_guard_sp_api.addressing import Address
from order_guard_sp_api.client import CREATE_REPORT, GET_REPORT, GET_REPORT_DOCUMENT, SpApiClient
from order_guard_sp_api.errors import SpApiError
from order_guard_sp_api.restricted import RestrictedToken

BASE = "/reports/2021-06-30"
_CHARSETS = {"windows-31j": "cp932", "shift_jis": "cp932", "x-sjis": "cp932", "sjis": "cp932"}
_GZIP_MAGIC = b"\x1f\x8b"
FIRST_POLL, LONGEST_POLL = 5.0, 30.0


def read_report(dataset: Dataset, client: SpApiClient, address: Address, registry: Registry, kind: str,
                encoding: str | None) -> Iterator[dict[str, Any]]:
    report_id = address.report_id or _create(client, address)
    report = _wait_until_done(client, report_id)
    status = report.get("processingStatus")
    if status == "CANCELLED":
        dataset.warnings.append(ReadError(dataset.location, None, f"Amazon cancelled report {report_id}: "
                                          "no data in the range asked for (0 records)"))
        return
    document_id = report.get("reportDocumentId")
    if status == "FATAL" or not isinstance(document_id, str) or not document_id:
        raise SpApiError(GET_REPORT.name, 200, str(status), f"Amazon could not produce report {report_id}")
    path = f"{BASE}/documents/{quote(document_id, safe='')}"
    token = RestrictedToken(client, "GET", f"{BASE}/documents/{document_id}") if address.restricted else None
    document = client.call(GET_REPORT_DOCUMENT, path, token=token).data
    url = document.get("url") if isinstance(document, dict) else None
    if not isinstance(url, str) or not url:
        raise SpApiError(GET_REPORT_DOCUMENT.name, 200, "InvalidResponse", "the answer has no document url")
    compression = document.get("compressionAlgorithm")
    if compression not in (None, "GZIP"):
        raise SpApiError(GET_REPORT_DOCUMENT.name, 200, "Unsupported", f"compressionAlgorithm {compression!r}")
    with tempfile.TemporaryDirectory(prefix="order-guard-sp-api-") as folder:  # buyer data: private, removed
        file = Path(folder) / "document"
        with open(file, "w+b") as handle:
            response = client.download(url, handle)
        client.progress.page(dataset.records_read)
        charset = response.headers.get_content_charset() if response.headers is not None else None
        yield from _read_document(dataset, file, compression, charset, encoding, registry, kind)


def _create(client: SpApiClient, address: Address) -> str:
    body: dict[str, Any] = {"reportType": address.report_type, "marketplaceIds": list(address.marketplaces)}
    if address.data_start_time:
        body["dataStartTime"] = address.data_start_time
    if address.data_end_time:
        body["dataEndTime"] = address.data_end_time
    if address.report_options:
        body["reportOptions"] = dict(address.report_options)
    data = client.call(CREATE_REPORT, f"{BASE}/reports", body=body).data
    report_id = data.get("reportId") if isinstance(data, dict) else None
    if not isinstance(report_id, str) or not report_id:
        raise SpApiError(CREATE_REPORT.name, 202, "InvalidResponse", "the answer has no reportId")
    client.progress.status(f"report {report_id} requested")
    return report_id


def _wait_until_done(client: SpApiClient, report_id: str) -> dict[str, Any]:
    settings = client.settings
    waited, pause = 0.0, FIRST_POLL
    while True:
        report = client.call(GET_REPORT, f"{BASE}/reports/{quote(report_id, safe='')}").data
        status = report.get("processingStatus") if isinstance(report, dict) else None
        if status in ("DONE", "CANCELLED", "FATAL"):
            return report
        if status not in ("IN_QUEUE", "IN_PROGRESS"):
            raise SpApiError(GET_REPORT.name, 200, "InvalidResponse", f"unknown processingStatus {status!r}")
        if waited >= settings.report_wait:
            raise SpApiError(GET_REPORT.name, None, "NotReady", f"report {report_id} is still {status} after "
                             f"{waited:.0f} s", hint=f"raise ORDER_GUARD_SP_API_REPORT_WAIT, or read it later "
                             f"with report_id={report_id}")
        step = min(pause, settings.max_wait, settings.report_wait - waited)
        client.wait(step, f"report {report_id} {status}")
        waited += step
        pause = min(pause * 1.5, LONGEST_POLL)


def _read_document(dataset: Dataset, file: Path, compression: str | None, charset: str | None,
                   forced: str | None, registry: Registry, kind: str) -> Iterator[dict[str, Any]]:
    with open(file, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        dataset.sha256 = hashlib.file_digest(raw, "sha256").hexdigest()
    if compression == "GZIP" and not compressed:
        raise SpApiError(GET_REPORT_DOCUMENT.name, 200, "InvalidDocument", "said GZIP, but the document is not gzip")
    encoding = _encoding(dataset, file, forced or _codec(charset), declared=charset)
    opened = open_data_file(file, encoding)
    try:
        reader = FlatReader(opened.text)
        fmt = detect_flat_format(dataset.location, reader.names, registry, kind)
        dataset.format = fmt.name
        dataset.details.update({"encoding": encoding, "compressed": "gzip" if compressed else None,
                                "delimiter": {"\t": "tab", ",": "comma", ";": "semicolon"}[reader.delimiter]})
        yield from flat_records(dataset, reader, fmt)
    finally:
        opened.close()


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = _CHARSETS.get(charset.strip().lower(), charset.strip())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _encoding(dataset: Dataset, file: Path, chosen: str | None, declared: str | None) -> str:
    """The declared (or forced) encoding if the whole document decodes with it; else what it is."""
    if chosen and first_undecodable(file, chosen) is None:
        return chosen
    if chosen or declared:
        dataset.warnings.append(ReadError(dataset.location, None, f"the document is not valid {declared or chosen} "
                                          "text as Amazon declared it; its encoding was detected instead"))
    opened = open_data_file(file)
    detected = opened.encoding
    opened.close()
    if detected.startswith("utf-16"):
        return detected
    bad = first_undecodable(file, detected)
    if bad is None:
        return detected
    fallback = legacy_encoding(bad[1])
    return fallback if first_undecodable(file, fallback) is None else "latin-1"
