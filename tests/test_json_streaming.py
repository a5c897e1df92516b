"""Big JSON documents in bounded memory (issue 7): a long list of orders (a top-level list, an
SP-API page's ``payload.Orders`` or ``orders``) is read a batch of elements at a time and gives the
records, pointers, errors and warnings that reading the whole document gives; anything else big
is refused past ``ORDER_GUARD_JSON_LIMIT_MB`` with one line saying what to do.

Streaming is forced on small documents here (no fast path, detection on the first element,
batches of two, reads of 7 characters, so values are cut at every place), and each document is
read both ways and compared. The 200 MB runs in a child process are in test_hostile_inputs.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
from pathlib import Path

import pytest
from tests.conftest import AS_OF, EXAMPLES, SHARED_FIXTURES
from tests.test_formats import Order, Shipment, confirm_shipment, order_change, v0_order, v2026_order

from order_guard.builtin import file_source, json_documents
from order_guard.builtin.sp_api_formats import SP_API_V0
from order_guard.checking import load_registry
from order_guard.datasets import DatasetRequest
from order_guard.errors import PluginError, UnreadableRecord
from order_guard.files import jsondocs, jsonstream
from order_guard.types import JsonFormat

STREAMED_LISTS = {"", "/payload/Orders", "/orders"}
ORDERS = [
    Order("405-2000000-0000001", "Pending", items=(("MUG-RED", 2),)),
    Order("405-2000000-0000002", "Unshipped", items=(("MUG-RED", 1), ("TEA-GREEN", 12345678901234567890))),
    Order("405-2000000-0000003", "Canceled"),
    Order("405-2000000-0000004", "Shipped", channel="AFN"),
    Order("405-2000000-0000005", "Pending", purchased="2026-10-20T08:00:00+00:00"),
]
#: Strings that a cut can split anywhere: escapes, a surrogate pair, non-ASCII text.
AWKWARD = 'Tè verde "sencha" \\ 100 g / \u00e8 \U0001f375 \t end'


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _force_streaming(patch: pytest.MonkeyPatch) -> list[str]:
    """Stream every JSON document; returns the pointers of the lists actually streamed."""
    patch.setattr(json_documents, "WHOLE_BELOW", 1)
    patch.setattr(json_documents, "PREVIEW", 1)
    patch.setattr(json_documents, "BATCH", 2)
    patch.setattr(file_source, "LINE_SAMPLE", 5)
    patch.setattr(jsonstream, "CHUNK", 7)
    streamed: list[str] = []
    original = json_documents._streamed_records

    def spy(dataset, stream, *rest):
        streamed.extend(stream.lists)
        return original(dataset, stream, *rest)

    patch.setattr(json_documents, "_streamed_records", spy)
    return streamed


def _read(path: Path, registry) -> dict:
    dataset = file_source.open_file(path, DatasetRequest(str(path)), registry)
    records = list(dataset.records())
    return {"kind": dataset.kind, "format": dataset.format, "records": records, "read": dataset.records_read,
            "unreadable": dataset.records_unreadable, "errors": [e.as_dict() for e in dataset.errors],
            "warnings": [w.as_dict() for w in dataset.warnings], "sha256": dataset.sha256}


def _read_both_ways(path: Path, registry) -> tuple[dict, dict, list[str]]:
    whole = _read(path, registry)
    with pytest.MonkeyPatch.context() as patch:
        streamed = _force_streaming(patch)
        again = _read(path, registry)
    return whole, again, streamed


# --- Every document, read whole and streamed --------------------------------------------------

def _odd_records() -> list:
    good = [v0_order(o) for o in ORDERS]
    bad_total = v0_order(Order("405-2000000-0000009", "Shipped"), OrderTotal="12.90")  # not an object
    return [good[0], {"OrderStatus": "Pending"}, 5, [1, 2], None, "text", -0.5e-10, good[1], bad_total, good[2]]


DOCUMENTS = {
    # name: (document, the list read a batch at a time, or None when the document is read whole)
    "v0-page": ({"payload": {"Orders": [v0_order(o) for o in ORDERS], "CreatedBefore": "2026-11-26T11:58:00Z"}},
                "/payload/Orders"),
    "v0-page-next-token-first": ({"payload": {"NextToken": "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4=",
                                              "Orders": [v0_order(o) for o in ORDERS]}}, "/payload/Orders"),
    "v0-page-next-token-last": ({"payload": {"Orders": [v0_order(o) for o in ORDERS],
                                             "NextToken": "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4="}}, "/payload/Orders"),
    "v0-bare-list": ([v0_order(o, BuyerInfo={"BuyerName": AWKWARD}) for o in ORDERS], ""),
    "v0-odd-records": ({"payload": {"Orders": _odd_records()}}, "/payload/Orders"),
    "v0-getOrder": ({"payload": v0_order(ORDERS[0])}, None),
    "v0-empty-page": ({"payload": {"Orders": []}}, None),
    "v2026-page": ({"orders": [v2026_order(o) for o in ORDERS], "pagination": {"nextToken": "abc"},
                    "createdBefore": "2026-11-26T11:58:00Z"}, "/orders"),
    "v2026-bare-list": ([v2026_order(o) for o in ORDERS], ""),
    "v2026-getOrder": ({"order": v2026_order(ORDERS[1])}, None),
    "order-change-list": ([order_change(o) for o in ORDERS], ""),
    "confirm-shipment-list": ([confirm_shipment(Shipment(o.order_id)) for o in ORDERS]
                              + [{"packageDetail": {"carrierCode": "BRT"}}], ""),
    "not-orders": ({"payload": {"Orders": [1, 2, 3]}}, None),
    "sp-api-error": ({"errors": [{"code": "InvalidInput", "message": "bad"}]}, None),
}
LAYOUTS = {
    "indented": lambda document: json.dumps(document, indent=2, ensure_ascii=False),
    "minified": lambda document: json.dumps(document, separators=(",", ":")),
    "crlf-tabs": lambda document: json.dumps(document, indent="\t").replace("\n", "\r\n") + "\r\n",
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_a_streamed_document_gives_what_the_whole_document_gives(tmp_path, registry, name, layout):
    document, streamed_list = DOCUMENTS[name]
    path = tmp_path / f"{name}.json"
    path.write_text(LAYOUTS[layout](document), encoding="utf-8")
    whole, streamed, lists = _read_both_ways(path, registry)
    assert streamed == whole
    assert lists == ([] if streamed_list is None else [streamed_list])


def test_the_odd_records_of_a_streamed_page_are_unreadable_with_their_pointers(tmp_path, registry):
    path = tmp_path / "page.json"
    path.write_text(json.dumps(DOCUMENTS["v0-odd-records"][0], indent=1))
    with pytest.MonkeyPatch.context() as patch:
        streamed = _force_streaming(patch)
        read = _read(path, registry)
    assert streamed == ["/payload/Orders"]
    assert [error["pointer"] for error in read["errors"]] == [f"/payload/Orders/{n}" for n in (1, 2, 3, 4, 5, 6, 8)]
    assert [record["_pointer"] for record in read["records"]] == ["/payload/Orders/0", "/payload/Orders/7",
                                                                  "/payload/Orders/9"]
    assert (read["read"], read["unreadable"]) == (10, 7)


def test_a_gzipped_page_streams_as_the_plain_one(tmp_path, registry):
    path = tmp_path / "orders.json.gz"
    path.write_bytes(gzip.compress(LAYOUTS["indented"](DOCUMENTS["v0-page"][0]).encode()))
    whole, streamed, lists = _read_both_ways(path, registry)
    assert streamed == whole and lists == ["/payload/Orders"] and len(whole["records"]) == len(ORDERS)


def _fixture_documents() -> list:
    examples = [pytest.param(path, id=path.name) for path in sorted(EXAMPLES.glob("*.json"))]
    shared = [pytest.param(path, id=path.name, marks=pytest.mark.conformance)
              for path in sorted((SHARED_FIXTURES / "sp-api").glob("*.json"))]
    return examples + shared


@pytest.mark.parametrize("path", _fixture_documents())
def test_each_example_document_streamed_gives_what_it_gives_whole(registry, path):
    whole, streamed, _ = _read_both_ways(path, registry)
    assert streamed == whole


# --- The parser: every cut and every corruption, as the whole-text parser sees it ---------------

def _parse_whole(text: str) -> tuple:
    try:
        return "parsed", jsondocs.read_document(io.StringIO(text))
    except UnreadableRecord as err:
        return "unreadable", err.message, err.line


def _parse_streamed(text: str) -> tuple:
    try:
        outline = jsonstream.read_outline(io.StringIO(text), STREAMED_LISTS, limit=1 << 30, preview=1 << 30)
    except UnreadableRecord as err:
        return "unreadable", err.message, err.line
    assert outline.streamed is None
    return "parsed", outline.document


SMALL_PAGES = {
    "minified": json.dumps({"payload": {"Orders": [
        {"AmazonOrderId": "1-1-1", "OrderTotal": {"Amount": 12.5e-1, "N": -0}, "T": AWKWARD, "L": [1, [], {}]},
        {"AmazonOrderId": "1-1-2", "N": 12345678901234567890, "B": True, "Z": None}], "NextToken": "t"}}),
    "indented": json.dumps({"orders": [{"orderId": "1-1-1", "n": 1.0}, {"orderId": "1-1-2", "t": AWKWARD}],
                            "pagination": {}}, indent=1),
    "bare-list": json.dumps([{"orderId": "1-1-1", "n": 10}, 123, "x", [1.5, -2]], indent=1),
}


@pytest.mark.parametrize("name", list(SMALL_PAGES))
def test_a_document_cut_anywhere_is_refused_as_the_whole_text_parser_refuses_it(monkeypatch, name):
    monkeypatch.setattr(jsonstream, "CHUNK", 7)
    text = SMALL_PAGES[name]
    for end in range(len(text) + 1):
        assert _parse_streamed(text[:end]) == _parse_whole(text[:end]), end


@pytest.mark.parametrize("name", list(SMALL_PAGES))
def test_a_document_with_any_character_changed_reads_as_the_whole_text_parser_reads_it(monkeypatch, name):
    monkeypatch.setattr(jsonstream, "CHUNK", 7)
    text = SMALL_PAGES[name]
    for at in range(len(text)):
        for junk in ("x", ",", "]", "}", '"', "\n", " ", "1"):
            changed = text[:at] + junk + text[at + 1:]
            assert _parse_streamed(changed) == _parse_whole(changed), (at, junk)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '[{"a": NaN}]', '[{"a": -Infinity}]', "[1, 2] 3",
                                  "", "   ", '[{"a": 1},]', '{"payload": {"Orders": [],}}', '{"orders" 1}'])
def test_hostile_json_is_refused_as_the_whole_text_parser_refuses_it(monkeypatch, text):
    monkeypatch.setattr(jsonstream, "CHUNK", 7)
    assert _parse_streamed(text) == _parse_whole(text)
    assert _parse_whole(text)[0] == "unreadable"


def test_a_streamed_list_named_twice_is_refused():
    text = '{"payload": {"Orders": [{"AmazonOrderId": "1"}], "Orders": []}}'
    with pytest.raises(UnreadableRecord, match="names 'Orders' twice"):
        jsonstream.read_outline(io.StringIO(text), STREAMED_LISTS, limit=1 << 20)


# --- A big file cut short, or wrong after its start -----------------------------------------

def _page(count: int) -> str:
    orders = [v0_order(Order(f"405-3000000-{n:07d}", "Shipped")) for n in range(count)]
    return json.dumps({"payload": {"Orders": orders}}, indent=1)


def test_a_truncated_streamed_page_counts_the_orders_before_the_cut_and_names_the_line(tmp_path, registry,
                                                                                         run_cli, monkeypatch):
    text = _page(10)
    cut = text[: text.index("405-3000000-0000007") + 5]
    path = tmp_path / "orders.json"
    path.write_text(cut)
    _force_streaming(monkeypatch)
    read = _read(path, registry)
    assert (read["read"], read["unreadable"], len(read["records"])) == (8, 1, 7)
    assert read["errors"] == [{"path": str(path), "line": cut.count("\n") + 1, "pointer": "/payload/Orders/7",
                               "message": "truncated JSON: the document ends before it is complete"}]
    result = run_cli("check", path, "--as-of", AS_OF, "--format", "json", "-q")
    report = json.loads(result.stdout)
    assert result.exit_code == 3
    assert report["summary"]["records_read"] == 8 and report["summary"]["records_checked"] == 7


def test_keys_after_the_streamed_list_that_change_the_format_are_an_error(tmp_path, registry, monkeypatch):
    document = {"orders": [v2026_order(o) for o in ORDERS], "payload": {"Orders": [v0_order(ORDERS[0])]}}
    path = tmp_path / "both.json"
    path.write_text(json.dumps(document))
    assert _read(path, registry)["format"] == "unknown"  # whole: fits two formats
    _force_streaming(monkeypatch)
    read = _read(path, registry)
    assert read["format"] == "sp-api-v2026" and len(read["records"]) == len(ORDERS)
    assert read["errors"][-1]["message"].startswith("read as sp-api-v2026 from its start, but the whole document "
                                                    "is not: document fits several formats")


def test_a_format_giving_records_outside_its_streamed_elements_is_a_plugin_error():
    liar = JsonFormat(name="liar", kind="orders", detect=lambda d: True, map=dict,
                      extract=lambda d: iter([("/payload/Orders/0", {}), ("/payload/Other", {})]),
                      streams=("/payload/Orders",))
    batch = json_documents._Batch(liar, "/payload/Orders")
    batch.offset, batch.size = 40, 1
    extracted = batch.format.extract({"payload": {"Orders": [{}]}})
    assert next(extracted) == ("/payload/Orders/40", {})
    with pytest.raises(PluginError, match="liar streams /payload/Orders but gave a record at /payload/Other"):
        next(extracted)


# --- Past the limit: refused, in one line ---------------------------------------------------

def _big_order(x_bytes: int) -> dict:
    return v0_order(ORDERS[0], x=("y" * x_bytes))


def _check(run_cli, path):
    result = run_cli("check", path, "--as-of", AS_OF, "--format", "json", "-q")
    return result, json.loads(result.stdout)


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_a_big_document_that_is_not_a_list_of_orders_is_refused_past_the_limit(run_cli, tmp_path, monkeypatch,
                                                                                compressed):
    monkeypatch.setenv("ORDER_GUARD_JSON_LIMIT_MB", "2")
    text = json.dumps({"payload": _big_order(9 << 20)}).encode()
    path = tmp_path / "getOrder.json"
    path.write_bytes(gzip.compress(text) if compressed else text)
    result, report = _check(run_cli, path)
    assert result.exit_code == 3
    (error,) = report["errors"]
    assert error["path"] == str(path) and error["line"] == 1
    size = f"{path.stat().st_size >> 10} KB of gzipped JSON" if compressed else "9 MB of JSON"
    assert error["message"] == (f"{size}: the value at /payload/x is over the 2 MB order-guard holds in memory "
                                "at once (it streams only lists of orders); split the file into pages or JSON Lines, "
                                "or raise ORDER_GUARD_JSON_LIMIT_MB")
    monkeypatch.setenv("ORDER_GUARD_JSON_LIMIT_MB", "64")
    assert _check(run_cli, path)[0].exit_code == 0


def test_one_order_past_the_limit_in_a_streamed_list_is_unreadable_and_ends_the_reading(run_cli, tmp_path,
                                                                                          monkeypatch):
    monkeypatch.setenv("ORDER_GUARD_JSON_LIMIT_MB", "1")
    orders = [v0_order(Order(f"405-4000000-{n:07d}", "Shipped")) for n in range(200)]
    orders[150] = _big_order(2 << 20)
    text = json.dumps(orders).replace("}, {", "},\n{")  # one order a line
    orders_path = tmp_path / "orders.json"
    orders_path.write_text(text + "\n" + " " * (8 << 20))  # past the fast path
    result, report = _check(run_cli, orders_path)
    assert result.exit_code == 3
    assert report["summary"]["records_read"] == 151 and report["summary"]["records_checked"] == 150
    (error,) = report["errors"]
    assert (error["line"], error["pointer"]) == (151, "/150")
    assert error["message"].startswith("10 MB of JSON: the value at /150 is over the 1 MB")


def test_a_long_list_a_format_does_not_stream_is_read_whole_up_to_the_limit(tmp_path, registry, monkeypatch):
    # Other formats stream top-level lists: this one's is seen as long, then read whole.
    not_streamed = dataclasses.replace(registry, formats={
        **registry.formats, "sp-api-v0": dataclasses.replace(SP_API_V0, streams=("/payload/Orders",))})
    path = tmp_path / "orders.json"
    path.write_text(json.dumps([v0_order(o) for o in ORDERS], indent=1))
    with pytest.MonkeyPatch.context() as patch:
        streamed = _force_streaming(patch)
        read = _read(path, not_streamed)
        assert streamed == [] and len(read["records"]) == len(ORDERS) and not read["errors"]
        # Room for the start of the page, not for all of it.
        patch.setattr(json_documents, "limit_chars", lambda: 2 * len(json.dumps(v0_order(ORDERS[0]), indent=1)))
        refused = _read(path, not_streamed)
    assert refused["format"] == "unknown"
    assert "JSON: the document is over the 0 MB order-guard holds" in refused["errors"][0]["message"]


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"])
def test_a_limit_that_is_not_a_whole_number_of_megabytes_is_a_usage_error(run_cli, monkeypatch, value):
    monkeypatch.setenv("ORDER_GUARD_JSON_LIMIT_MB", value)
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "-q")
    assert result.exit_code == 2
    assert f"ORDER_GUARD_JSON_LIMIT_MB must be a whole number of megabytes above 0, not '{value}'" in result.stderr
