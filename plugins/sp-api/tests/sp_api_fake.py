"""A local stand-in for Login with Amazon and the Selling Partner API, for tests.

It speaks the shapes of Amazon's models (written here from the schemas, with
made-up data): the LWA refresh-token grant, Orders API v0 ``getOrders`` /
``getOrderItems`` with ``payload.NextToken``, v2026-01-01 ``searchOrders`` with
``pagination.nextToken`` and ``includedData``, the Tokens API, and the Reports
API flow down to a presigned document URL. It behaves like Amazon where the
plugin depends on it: tokens expire, restricted data needs an RDT, a v2026
order carries only the datasets asked for, errors come as ``{"errors": [...]}``.
Tests script faults per operation (``fault``) and read what was asked (``seen``).
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

V2026_SECTIONS = {"BUYER": "buyer", "RECIPIENT": "recipient", "PROCEEDS": "proceeds", "FULFILLMENT": "fulfillment",
                  "PACKAGES": "packages"}
EXPIRED = {"code": "Unauthorized", "message": "Access to requested resource is denied.",
           "details": "The access token you provided has expired."}
DENIED = {"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": ""}
QUOTA = {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource.", "details": ""}
UNAVAILABLE = {"code": "ServiceUnavailable", "message": "Service is temporarily unavailable.", "details": ""}


@dataclass
class Seen:
    operation: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Document:
    content: bytes
    content_type: str
    gzip: bool = False


@dataclass
class FakeAmazon:
    refresh_token: str = field(default_factory=lambda: "Atzr|IwEBtest-refresh-" + secrets.token_hex(16))
    client_id: str = field(default_factory=lambda: "amzn1.application-oa2-client." + secrets.token_hex(12))
    client_secret: str = field(default_factory=lambda: "amzn1.oa2-cs.v1." + secrets.token_hex(24))
    token_lifetime: int = 3600
    page_size: int = 2
    #: A token that served this many calls answers "expired" from then on (None: never).
    expire_after: int | None = None
    rate_limit: str | None = "0.0167"
    orders_v0: list[dict] = field(default_factory=list)
    items_v0: dict[str, list[dict]] = field(default_factory=dict)
    orders_v2026: list[dict] = field(default_factory=list)
    #: report type -> the document Amazon would produce
    documents: dict[str, Document] = field(default_factory=dict)
    report_outcome: str = "DONE"
    polls_until_done: int = 2
    #: operation -> page token (None: the first page) -> a response document to answer as it is
    canned: dict[str, dict[str | None, Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    rdts: dict[str, dict] = field(default_factory=dict)
    _faults: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    _storms: dict[str, tuple] = field(default_factory=dict)
    _uses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _pages: dict[str, int] = field(default_factory=dict)
    _reports: dict[str, dict] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- test controls -----------------------------------------------------------

    def fault(self, operation: str, status: int, error: dict | None = None, headers: dict | None = None,
              times: int = 1) -> None:
        """The next ``times`` calls of ``operation`` answer ``status`` with Amazon's error body."""
        self._faults[operation].extend([(status, error, headers or {})] * times)

    def storm(self, operation: str, status: int, error: dict | None = None, after: int = 0) -> None:
        """Every call of ``operation`` after the first ``after`` answers ``status``."""
        self._storms[operation] = (status, error, after)

    def calls(self, operation: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.operation == operation]

    @property
    def token_url(self) -> str:
        return f"{self.url}/auth/o2/token"

    def start(self) -> FakeAmazon:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the exchange --------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        operation = _operation(handler.command, parts.path)
        with self._lock:
            self.seen.append(Seen(operation, handler.command, parts.path, query,
                                  {k.lower(): v for k, v in handler.headers.items()}, body))
            status, answer, headers = self._answer(operation, parts.path, query, body, handler.headers)
        if isinstance(answer, Document):
            content, headers = answer.content, {**headers, "content-type": answer.content_type}
        else:
            content = json.dumps(answer).encode() if answer is not None else b""
            headers = {"content-type": "application/json", **headers}
        handler.send_response(status)
        for name, value in {**headers, "content-length": str(len(content)),
                            "x-amzn-RequestId": secrets.token_hex(8)}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(content)

    def _answer(self, operation: str, path: str, query: dict, body: bytes, headers) -> tuple[int, Any, dict]:
        if operation == "token":
            return self._token(dict(parse_qsl(body.decode())))
        if operation == "download":
            return self._download(path)
        if operation == "unknown":
            return 404, {"errors": [{"code": "NotFound", "message": "Resource not found."}]}, {}
        token = headers.get("x-amz-access-token", "")
        self._uses[token] += 1
        if token in self.issued and self.expire_after is not None and self._uses[token] > self.expire_after:
            return 403, {"errors": [EXPIRED]}, {}
        if token not in self.issued and token not in self.rdts:
            return 403, {"errors": [DENIED]}, {}
        if self._faults[operation]:
            status, error, extra = self._faults[operation].pop(0)
            return status, ({"errors": [error]} if error else None), extra
        if operation in self._storms:
            status, error, after = self._storms[operation]
            if len(self.calls(operation)) > after:
                return status, ({"errors": [error]} if error else None), {}
        rate = {"x-amzn-RateLimit-Limit": self.rate_limit} if self.rate_limit else {}
        if operation in self.canned:
            page = query.get("NextToken") or query.get("paginationToken")
            if page not in self.canned[operation]:
                return 400, {"errors": [{"code": "InvalidInput", "message": "Invalid Input"}]}, {}
            return 200, self.canned[operation][page], rate
        handler = getattr(self, "_" + operation)
        status, answer = handler(path, query, body, self.rdts.get(token))
        return status, answer, rate if status < 300 else {}

    def _token(self, form: dict) -> tuple[int, Any, dict]:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}, {}
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
            return 400, {"error": "invalid_grant",
                         "error_description": "The request has an invalid grant parameter : refresh_token"}, {}
        token = "Atza|IwEBtest-access-" + secrets.token_hex(24)
        self.issued.append(token)
        return 200, {"access_token": token, "refresh_token": self.refresh_token, "token_type": "bearer",
                     "expires_in": self.token_lifetime}, {}

    def _page(self, items: list, token: str | None) -> tuple[list, str | None] | None:
        start = 0
        if token:
            if token not in self._pages:
                return None
            start = self._pages[token]
        end = start + self.page_size
        following = None
        if end < len(items):
            following = secrets.token_urlsafe(24)
            self._pages[following] = end
        return items[start:end], following

    def _getOrders(self, path: str, query: dict, body: bytes, rdt: dict | None) -> tuple[int, Any]:
        if not query.get("MarketplaceIds") or ("CreatedAfter" in query) == ("LastUpdatedAfter" in query):
            return 400, {"errors": [{"code": "InvalidInput", "message": "Invalid Input"}]}
        marketplaces = query["MarketplaceIds"].split(",")
        statuses = query.get("OrderStatuses", "").split(",") if query.get("OrderStatuses") else None
        matching = [o for o in self.orders_v0 if o["MarketplaceId"] in marketplaces
                    and (statuses is None or o["OrderStatus"] in statuses)]
        paged = self._page(matching, query.get("NextToken"))
        if paged is None:
            return 400, {"errors": [{"code": "InvalidInput", "message": "Invalid NextToken"}]}
        elements = set(rdt["dataElements"]) if rdt and rdt["path"] == path else set()
        orders = [_v0_visible(order, elements) for order in paged[0]]
        payload: dict[str, Any] = {"Orders": orders, "CreatedBefore": "2026-11-26T11:58:00Z"}
        if paged[1]:
            payload["NextToken"] = paged[1]
        return 200, {"payload": payload}

    def _getOrderItems(self, path: str, query: dict, body: bytes, rdt: dict | None) -> tuple[int, Any]:
        order_id = unquote(path.split("/")[4])
        if order_id not in self.items_v0:
            return 404, {"errors": [{"code": "NotFound", "message": f"Order {order_id} not found"}]}
        paged = self._page(self.items_v0[order_id], query.get("NextToken"))
        payload: dict[str, Any] = {"AmazonOrderId": order_id, "OrderItems": paged[0]}
        if paged[1]:
            payload["NextToken"] = paged[1]
        return 200, {"payload": payload}

    def _searchOrders(self, path: str, query: dict, body: bytes, rdt: dict | None) -> tuple[int, Any]:
        if not query.get("marketplaceIds") or ("createdAfter" in query) == ("lastUpdatedAfter" in query):
            return 400, {"errors": [{"code": "InvalidInput", "message": "Exactly one of createdAfter and "
                                     "lastUpdatedAfter must be provided"}]}
        marketplaces = query["marketplaceIds"].split(",")
        matching = [o for o in self.orders_v2026 if o["salesChannel"]["marketplaceId"] in marketplaces]
        paged = self._page(matching, query.get("paginationToken"))
        if paged is None:
            return 400, {"errors": [{"code": "InvalidInput", "message": "Invalid paginationToken"}]}
        included = set(query.get("includedData", "").split(","))
        answer: dict[str, Any] = {"orders": [_v2026_visible(o, included) for o in paged[0]],
                                  "createdBefore": "2026-11-26T11:58:00Z"}
        if paged[1]:
            answer["pagination"] = {"nextToken": paged[1]}
        return 200, answer

    def _createRestrictedDataToken(self, path: str, query: dict, body: bytes, rdt: dict | None) -> tuple[int, Any]:
        resource = json.loads(body)["restrictedResources"][0]
        token = "Atz.sprdt|test-rdt-" + secrets.token_hex(24)
        self.rdts[token] = {"method": resource["method"], "path": resource["path"],
                            "dataElements": resource.get("dataElements", [])}
        return 200, {"restrictedDataToken": token, "expiresIn": 3600}

    def _createReport(self, path: str, query: dict, body: bytes, rdt: dict | None) -> tuple[int, Any]:
        request = json.loads(body)
        if request.get("reportType") not in self.documents:
            return 400, {"errors": [{"code": "InvalidInput", "message": "Invalid report type"}]}
        report_id = str(50000 + len(self._reports))
        self._reports[report_id] = {"request": request, "polls": 0}
        return 202, {"reportId": report_id}

    def _getReport(self, path: str, query: dict, body: bytes, rdt: dict | None) -> tuple[int, Any]:
        report_id = path.rsplit("/", 1)[1]
        report = self._reports.get(report_id)
        if report is None:
            return 404, {"errors": [{"code": "NotFound", "message": "Report not found"}]}
        report["polls"] += 1
        status = "IN_QUEUE" if report["polls"] == 1 else "IN_PROGRESS"
        if report["polls"] >= self.polls_until_done and self.report_outcome != "NEVER":
            status = self.report_outcome
        answer = {"reportId": report_id, "reportType": report["request"]["reportType"],
                  "marketplaceIds": report["request"]["marketplaceIds"], "processingStatus": status,
                  "createdTime": "2026-11-26T11:00:00Z"}
        if status == "DONE":
            answer["reportDocumentId"] = f"amzn1.spdoc.1.4.eu.{report_id}.T1"
        return 200, answer

    def _getReportDocument(self, path: str, query: dict, body: bytes, rdt: dict | None) -> tuple[int, Any]:
        document_id = unquote(path.rsplit("/", 1)[1])
        report_id = document_id.split(".")[5]
        report_type = self._reports[report_id]["request"]["reportType"]
        if report_type.startswith(("GET_FLAT_FILE_ACTIONABLE", "GET_FLAT_FILE_ORDER_REPORT")) and (
                rdt is None or rdt["path"] != unquote(path)):
            return 403, {"errors": [{"code": "Unauthorized", "message": "Access to the resource is forbidden",
                                     "details": ""}]}
        answer = {"reportDocumentId": document_id,
                  "url": f"{self.url}/download/{report_id}?X-Amz-Signature={secrets.token_hex(32)}"}
        if self.documents[report_type].gzip:
            answer["compressionAlgorithm"] = "GZIP"
        return 200, answer

    def _download(self, path: str) -> tuple[int, Any, dict]:
        report = self._reports.get(path.rsplit("/", 1)[1])
        if report is None:
            return 403, None, {}
        return 200, self.documents[report["request"]["reportType"]], {}


def _operation(method: str, path: str) -> str:
    parts = [unquote(p) for p in path.strip("/").split("/")]
    table = {
        ("POST", "auth/o2/token"): "token",
        ("GET", "orders/v0/orders"): "getOrders",
        ("GET", "orders/2026-01-01/orders"): "searchOrders",
        ("POST", "tokens/2021-03-01/restrictedDataToken"): "createRestrictedDataToken",
        ("POST", "reports/2021-06-30/reports"): "createReport",
    }
    joined = "/".join(parts)
    if (method, joined) in table:
        return table[(method, joined)]
    if method == "GET" and parts[:3] == ["orders", "v0", "orders"] and len(parts) == 5 and parts[4] == "orderItems":
        return "getOrderItems"
    if method == "GET" and parts[:3] == ["reports", "2021-06-30", "reports"] and len(parts) == 4:
        return "getReport"
    if method == "GET" and parts[:3] == ["reports", "2021-06-30", "documents"] and len(parts) == 4:
        return "getReportDocument"
    if method == "GET" and parts[0] == "download":
        return "download"
    return "unknown"


def _v0_visible(order: dict, elements: set[str]) -> dict:
    """What getOrders shows: the full address and buyer info only with an RDT for them."""
    shown = copy.deepcopy(order)
    address = shown.pop("ShippingAddress", None)
    buyer = shown.pop("BuyerInfo", None)
    if address:
        if "shippingAddress" not in elements:
            address = {k: v for k, v in address.items() if k in ("City", "StateOrRegion", "PostalCode", "CountryCode")}
        shown["ShippingAddress"] = address
    if buyer and "buyerInfo" in elements:
        shown["BuyerInfo"] = buyer
    return shown


def _v2026_visible(order: dict, included: set[str]) -> dict:
    """What searchOrders shows: only the datasets ``includedData`` named."""
    shown = copy.deepcopy(order)
    for dataset, key in V2026_SECTIONS.items():
        if dataset not in included:
            shown.pop(key, None)
            if key in ("fulfillment", "proceeds"):
                for item in shown.get("orderItems", []):
                    item.pop(key, None)
    return shown
