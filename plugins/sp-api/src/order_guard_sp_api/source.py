"""The ``sp-api`` source: an ``sp-api://`` address becomes one dataset.

Opening checks the address, the credentials and the endpoint, and touches no
network: a mistake there is a usage error (exit 2) before anything is read.
The calls happen while the dataset's records are read. A call that fails for
good ends the dataset with an error that says how many records were read
before it, so the run ends incomplete (exit 3), never clean.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from order_guard.datasets import Dataset, DatasetRequest
from order_guard.errors import OrderGuardError, SourceError, UsageError
from order_guard.registry import Registry

from order_guard_sp_api.addressing import REPORT_KINDS, RESTRICTED_REPORTS, V0, Address, parse
from order_guard_sp_api.auth import load_credentials
from order_guard_sp_api.client import SpApiClient
from order_guard_sp_api.orders import read_orders
from order_guard_sp_api.progress import Progress
from order_guard_sp_api.reports import read_report
from order_guard_sp_api.settings import DEFAULT_TOKEN_URL, Settings, checked_url, endpoint_for

#: Format names before a report's header is seen (the real one replaces it while reading).
REPORT_FORMAT = "sp-api-report"


def open_sp_api(request: DatasetRequest, registry: Registry) -> list[Dataset]:
    address = parse(request.location)
    kind = dataset_kind(address, request.kind)
    fmt = {V0: "sp-api-v0"}.get(address.api, "sp-api-v2026") if address.what == "orders" else REPORT_FORMAT
    if address.what == "orders" and fmt not in registry.formats:
        raise UsageError(f"{address.label}: format {fmt} is not registered (is the plugin sp_api_formats disabled?)")
    settings = Settings.from_env()
    credentials = load_credentials()
    endpoint = endpoint_for(address, os.environ.get("SP_API_ENDPOINT") or credentials.endpoint)
    token_url = checked_url(os.environ.get("LWA_TOKEN_URL") or credentials.lwa_token_url or DEFAULT_TOKEN_URL,
                            "LWA_TOKEN_URL")

    def read(dataset: Dataset) -> Iterator[dict[str, Any]]:
        progress = Progress(f"sp-api {address.what}")
        client = SpApiClient(endpoint, credentials, token_url, settings, progress)
        digest = hashlib.sha256()
        try:
            if address.what == "orders":
                yield from read_orders(dataset, client, address, registry, digest)
            else:
                yield from read_report(dataset, client, address, registry, kind, request.encoding)
        except OrderGuardError as err:
            detail = err.detail if isinstance(err, SourceError) else str(err)
            dataset.error(f"{detail}; stopped after {dataset.records_read} record(s) from {progress.pages} "
                          "page(s): the rest were not read, so the data cannot be proved clean")
        finally:
            progress.done(dataset.records_read)
            if address.what == "orders" and progress.pages:
                dataset.sha256 = digest.hexdigest()

    details = {"api": f"Orders API {address.api}" if address.what == "orders" else "Reports API 2021-06-30",
               "endpoint": urlsplit(endpoint).netloc,
               "buyer_data": "requested: " + ", ".join(address.restricted) if address.restricted else None}
    return [Dataset(location=request.location, kind=kind, format=fmt, read_records=read, details=details)]


def dataset_kind(address: Address, asked: str | None) -> str:
    """The dataset kind an address yields; refused when it contradicts ``--dataset KIND=``."""
    if address.what == "orders":
        if asked not in (None, "orders"):
            raise UsageError(f"{address.label} reads orders, not {asked}: use --dataset orders=...")
        return "orders"
    report_type = address.report_type or ""
    if report_type in RESTRICTED_REPORTS and not address.restricted:
        raise UsageError(f"{address.label}: this report carries buyer names and addresses, and Amazon hands it "
                         "out only with a Restricted Data Token; add rdt=1 to request one (order-guard redacts "
                         "buyer data in its outputs), or read GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL, "
                         "which has none")
    known = REPORT_KINDS.get(report_type)
    if asked is None and known is None:
        raise UsageError(f"{address.label}: order-guard does not know this report type; name its kind with "
                         f"--dataset KIND={address.label}?...")
    if asked is not None and known is not None and asked != known:
        raise UsageError(f"{address.label} holds {known} data, not {asked}")
    return asked or known  # type: ignore[return-value]
