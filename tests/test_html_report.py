"""``--format html``: one self-contained page for auditors, checked by parsing and as a person sees it (Chromium)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.conftest import AS_OF, EXAMPLES, write_tsv

from order_guard.builtin.html.style import COLOURS

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
#: Elements whose text the tests read by id (or by tag name when they have none).
REGIONS = {"section", "header", "nav", "svg", "tr", "div"}
CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = (1280, 2000)


class Page(HTMLParser):
    """Every tag with its attributes, the text, and the text of each section, header, chart and table row."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.regions: list[tuple[str, str, dict[str, str], list[str]]] = []
        self._open: list[tuple[str, str, dict[str, str], list[str]]] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag in REGIONS:
            region = (tag, attributes.get("id", tag), attributes, [])
            self._open.append(region)
            self.regions.append(region)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        if tag in REGIONS and self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data):
        self.text.append(data)
        for region in self._open:
            region[3].append(data)

    def all_text(self) -> str:
        return "".join(self.text)

    def region(self, key: str) -> str:
        return " ".join("".join(r[3]) for r in self.regions if r[1] == key)

    def rows(self) -> list[tuple[str, str]]:
        return [(r[2].get("class", ""), "".join(r[3])) for r in self.regions if r[0] == "tr"]

    def order(self) -> list[str]:
        return [r[1] for r in self.regions if r[0] in ("section", "header")]


@pytest.fixture
def example(run_cli, tmp_path):
    """The bundled example as HTML (parsed) and as the JSON report of the same run."""
    json_path = tmp_path / "report.json"
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "html", "--output", f"json={json_path}")
    assert result.exit_code == 1, result.stderr
    return result.stdout, Page(result.stdout), json.loads(json_path.read_text(encoding="utf-8"))


def test_page_is_self_contained_with_no_script_and_no_remote_load(example):
    markup, page, _ = example
    assert markup.startswith("<!DOCTYPE html>")
    names = {tag for tag, _ in page.tags}
    assert not names & {"script", "link", "iframe", "object", "embed", "img", "base", "form"}
    metas = [attrs for tag, attrs in page.tags
             if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert [meta["content"] for meta in metas] == [CSP]
    for tag, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("src", "href", "xlink:href", "action", "srcset"):
            if name in attrs:
                assert attrs[name].startswith("#"), (tag, name, attrs[name])
    css = markup[markup.index("<style>"):markup.index("</style>")]
    assert "url(" not in css and "@import" not in css and "http" not in css


def test_header_shows_verdict_version_and_as_of(example):
    _, page, report = example
    header = page.region("header")
    assert "FAIL" in header and "exit 1" in header
    assert report["tool"]["version"] in header and AS_OF in header
    assert page.order()[0] == "header"


def test_inputs_and_rule_packs_are_listed_with_their_digests(example):
    _, page, report = example
    inputs = page.region("inputs")
    for entry in report["inputs"]:
        for value in (entry["path"], entry["kind"], entry["format"], entry["encoding"], entry["sha256"]):
            assert value in inputs, value
        assert f"{entry['records']}" in inputs
    for pack in report["packs"]:
        assert pack["sha256"] in inputs and pack["name"] in inputs


def test_every_rule_has_an_anchored_section_with_rationale_and_its_orders(example):
    _, page, report = example
    links = {attrs["href"] for tag, attrs in page.tags if tag == "a"}
    for rule in report["rules"]:
        section = page.region(f"rule-{rule['id']}")
        assert f"#rule-{rule['id']}" in links
        for value in (rule["id"], rule["name"], rule["summary"], rule["rationale"], rule["remediation"],
                      *rule["references"]):
            assert value in section, (rule["id"], value)
    for finding in report["findings"]:
        section = page.region(f"rule-{finding['rule_id']}")
        assert (finding.get("order_id") or finding["sku"]) in section
        location = finding["location"]
        line = f":{location['line']}" if location["line"] else f"#{location['pointer']}"
        assert f"{location['path']}{line}" in section


def test_chart_draws_a_labelled_bar_with_its_count_per_rule_and_severity(example):
    _, page, report = example
    charts = [region for region in page.regions if region[0] == "svg"]
    assert [attrs["aria-label"] for _, _, attrs, _ in charts] == ["Findings per rule", "Findings per severity"]
    per_rule, per_severity = (text for *_, text in charts)
    for rule in report["rules"]:  # each label is followed by its count, written after the bar
        label = per_rule.index(f"{rule['id']} {rule['name']}")
        missing = f" · missing: {', '.join(rule['missing_datasets'])}" if rule["missing_datasets"] else ""
        assert per_rule[label + 1] == f"{report['summary']['by_rule'][rule['id']]} {rule['severity']}{missing}"
    for severity in ("critical", "high", "medium", "low", "info"):
        label = per_severity.index(severity)
        assert per_severity[label + 1] == str(report["summary"]["by_severity"].get(severity, 0))
    fills = {attrs["fill"] for tag, attrs in page.tags if tag == "rect"}
    assert len(fills) == 5  # one colour per severity


def test_value_at_risk_is_shown_per_currency(example):
    _, page, report = example
    assert report["summary"]["value_at_risk"] == {"EUR": "44.10"}
    assert "44.10 EUR" in page.region("value-at-risk")
    assert "at risk: 30.70 EUR" in page.region("rule-AMZ-PEND-004")


def test_buyer_data_is_absent_unless_asked(run_cli, tmp_path):
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps({"payload": {"Orders": [{
        "AmazonOrderId": "171-0000001-0000001", "PurchaseDate": "2026-11-25T10:00:00Z", "OrderStatus": "Pending",
        "FulfillmentChannel": "MFN",
        "ShippingAddress": {"Name": "Ada Testperson", "AddressLine1": "Secretstreet 42", "City": "London",
                            "PostalCode": "N1 9GU", "CountryCode": "GB", "Phone": "+44 20 7946 0999"},
        "BuyerInfo": {"BuyerEmail": "ada.secret@marketplace.amazon.co.uk", "BuyerName": "Ada Buyername"},
    }]}}), encoding="utf-8")
    write_tsv(tmp_path / "unshipped.txt",
              ["order-id", "order-item-id", "purchase-date", "payments-date", "buyer-email", "buyer-name",
               "buyer-phone-number", "sku", "product-name", "quantity-purchased", "quantity-shipped",
               "quantity-to-ship", "ship-service-level", "recipient-name", "ship-address-1", "ship-city",
               "ship-postal-code", "ship-country"],
              [["171-0000001-0000001", "1", "2026-11-25T10:00:00+00:00", "2026-11-25T10:00:00+00:00",
                "bob.hidden@marketplace.amazon.co.uk", "Bob Hiddenbuyer", "+44 20 7946 0111", "SKU1", "Thing",
                1, 0, 1, "Standard", "Robert Recipientname", "Hiddenroad 7", "London", "N1 9GU", "GB"]])
    v0_secrets = ("Ada Testperson", "Secretstreet 42", "+44 20 7946 0999", "ada.secret@marketplace", "Ada Buyername")
    row_secrets = ("bob.hidden@marketplace", "Bob Hiddenbuyer", "+44 20 7946 0111", "Robert Recipientname",
                   "Hiddenroad 7")
    hidden = run_cli("check", tmp_path, "--as-of", AS_OF, "--format", "html")
    assert hidden.exit_code == 1, hidden.stderr
    page = Page(hidden.stdout)
    assert "171-0000001-0000001" in page.region("rule-AMZ-PEND-002")  # the v0 order carries buyer data
    assert "unshipped.txt:2" in page.region("rule-AMZ-PEND-003")  # and is in the Unshipped report
    text = page.all_text()
    for secret in v0_secrets + row_secrets:
        assert secret not in hidden.stdout and secret not in text, secret
    assert "[redacted]" in text
    shown = run_cli("check", tmp_path, "--as-of", AS_OF, "--format", "html", "--show-buyer-data")
    for secret in v0_secrets:
        assert secret in Page(shown.stdout).all_text(), secret


def test_input_values_cannot_inject_markup_or_control_characters(run_cli, tmp_path):
    header = ["amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
              "fulfillment-channel", "sales-channel", "ship-service-level", "product-name", "sku", "quantity",
              "currency", "item-price"]
    write_tsv(tmp_path / "all-orders.txt", header, [
        ["405-1<img src=x onerror=alert(1)>", "", "2026-11-25T18:02:11+00:00", "2026-11-25T18:04:40+00:00",
         "\x1b[31m</style><script>alert(1)</script>", "Merchant", "Amazon.it", "Standard",
         "</td><script>alert(1)</script>", "SKU-1", 1, "EUR", "10.00"],
        ['=HYPERLINK("http://evil")', "", "2026-11-01T18:02:11+00:00", "2026-11-25T18:04:40+00:00", "Pending",
         "Merchant", "Amazon.it", "Standard", '=HYPERLINK("http://evil")', "SKU-2", 1, "EUR", "10.00"],
    ])
    result = run_cli("check", tmp_path, "--as-of", AS_OF, "--format", "html", "--fail-on", "low")
    assert result.exit_code == 1, result.stderr
    page = Page(result.stdout)
    assert [tag for tag, _ in page.tags if tag in ("script", "img", "style")] == ["style"]
    assert not [attrs for _, attrs in page.tags if any(name.startswith("on") for name in attrs)]
    assert "<script" not in result.stdout.lower() and "<img" not in result.stdout.lower()
    assert "\x1b" not in result.stdout
    text = page.all_text()
    # the values are there, as text a person can read
    assert "405-1<img src=x onerror=alert(1)>" in page.region("rule-AMZ-PEND-007")
    assert "?[31m</style><script>alert(1)</script>" in page.region("rule-AMZ-PEND-007")
    assert "'=HYPERLINK(\"http://evil\")" in page.region("rule-AMZ-PEND-008")
    assert "http://evil" not in "".join(attrs.get("href", "") for _, attrs in page.tags)
    assert "alert(1)" in text


@pytest.fixture
def waivers_file(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n"
        "  - {rule: AMZ-PEND-004, order_id: 405-1000008-0000008, reason: Parcel recalled from the carrier (OPS-1182),\n"
        "     owner: warehouse-lead, expires: '2026-12-31'}\n"
        "  - {rule: pending-too-long, order_id: 405-1000005-0000005, reason: Buyer asked Amazon to re-verify (CS-77),\n"
        "     owner: cs-team, expires: '2026-11-01'}\n"
        "  - {rule: AMZ-PEND-001, order_id: 405-0000000-0000000, reason: Old exception for a deleted test order,\n"
        "     owner: nobody, expires: '2027-01-31'}\n", encoding="utf-8")
    return path


def test_waived_findings_are_marked_and_waivers_listed_with_status(run_cli, waivers_file):
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "html", "--waivers", waivers_file)
    assert result.exit_code == 1, result.stderr
    page = Page(result.stdout)
    waived = [text for cls, text in page.rows() if cls == "suppressed waiver"]
    assert len(waived) == 1
    assert "405-1000008-0000008" in waived[0] and "waived" in waived[0]
    assert all(value in waived[0] for value in ("Parcel recalled from the carrier (OPS-1182)", "warehouse-lead",
                                                "2026-12-31"))
    expired = next(text for cls, text in page.rows() if cls == "open" and "405-1000005-0000005" in text)
    assert "waiver expired" in expired and "Buyer asked Amazon to re-verify (CS-77)" in expired
    waivers = page.region("waivers")
    assert "1 active, 1 expired, 1 stale" in waivers
    for status, reason in (("active", "Parcel recalled"), ("expired", "Buyer asked"), ("stale", "Old exception")):
        assert any(status in text and reason in text for cls, text in page.rows()), status
    assert "1 waived" in page.region("summary") and "2 high (1 waived)" in page.region("summary")
    assert "FAIL" in page.region("header")


def test_baselined_findings_are_marked_and_counted(run_cli, tmp_path):
    baseline, report_path = tmp_path / "baseline.json", tmp_path / "report.json"
    run_cli("check", EXAMPLES, "--as-of", AS_OF, "--write-baseline", baseline)
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "html", "--baseline", baseline,
                     "--output", f"json={report_path}")
    report, page = json.loads(report_path.read_text(encoding="utf-8")), Page(result.stdout)
    baselined = [f for f in report["findings"] if f.get("suppression", {}).get("kind") == "baseline"]
    assert baselined and len(baselined) == report["summary"]["baselined"]
    rows = [text for cls, text in page.rows() if cls == "suppressed baseline"]
    assert len(rows) == len(baselined)
    for finding, row in zip(baselined, rows, strict=True):
        assert (finding.get("order_id") or finding["sku"]) in row and "baselined" in row
    assert f"{len(baselined)} finding(s) in the baseline" in page.region("waivers")
    assert f"{report['summary']['open']} finding(s) open" in page.region("waivers")
    assert ("FAIL" if result.exit_code == 1 else "PASS") in page.region("header")


def test_a_report_only_run_is_not_called_a_pass(run_cli):
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "html", "--fail-on", "none")
    assert result.exit_code == 0
    header = Page(result.stdout).region("header")
    assert "REPORT ONLY" in header and "10 open finding(s)" in header and "PASS" not in header


def test_an_incomplete_run_says_so_and_lists_its_errors_first(run_cli, tmp_path):
    data = write_tsv(tmp_path / "orders.txt",
                     ["amazon-order-id", "purchase-date", "order-status", "fulfillment-channel", "sku"],
                     [["1-1-1", "2026-11-20T00:00:00Z", "Pending", "Merchant", "S"],
                      ["1-1-2", "2026-11-20T00:00:00Z", "Pending", "Merchant"]])
    result = run_cli("check", data, "--as-of", AS_OF, "--format", "html")
    assert result.exit_code == 3
    page = Page(result.stdout)
    assert "INCOMPLETE" in page.region("header") and "do not ship" in page.region("header")
    assert page.order()[:2] == ["header", "errors"]
    assert f"{data}:3: row has 4 fields, the header has 5" in page.region("errors")


def test_output_flag_writes_the_same_page(run_cli, tmp_path):
    path = tmp_path / "report.html"
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "html", "--output", f"html={path}")
    assert result.exit_code == 1, result.stderr
    assert path.read_text(encoding="utf-8") == result.stdout


def _png(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB pixel rows of an 8-bit RGB or RGBA PNG (stdlib only: zlib and struct)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        chunks[kind] = chunks.get(kind, b"") + data[position + 8:position + 8 + length]
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(chunks[b"IDAT"])
    assert len(raw) == height * (1 + width * bpp)
    rows, previous, stride = [], bytearray(width * bpp), width * bpp
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):  # undo the PNG filter of this row (None, Sub, Up, Average, Paeth)
            a = line[i - bpp] if i >= bpp else 0
            b, c = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line[i] for i in range(stride) if i % bpp < 3))
        previous = line
    return width, height, rows


def test_a_person_sees_the_report_rendered_in_chromium(run_cli, tmp_path):
    """The page as a browser draws it: the coloured verdict banner on top, then the chart's bars in colour."""
    browser = next((found for name in CHROMIUM if (found := shutil.which(name))), None)
    if browser is None:
        pytest.skip("no chromium binary found; install it to check the HTML as a person sees it: "
                    "apt-get install chromium")
    page = tmp_path / "report.html"
    assert run_cli("check", EXAMPLES, "--as-of", AS_OF, "--output", f"html={page}").exit_code == 1
    screenshot = tmp_path / "report.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                    f"--screenshot={screenshot}", page.as_uri()],
                   check=True, capture_output=True, timeout=180)
    assert screenshot.is_file()
    width, height, rows = _png(screenshot)
    assert (width, height) == WINDOW
    pixels = [Counter(row[i:i + 3].hex() for i in range(0, len(row), 3)) for row in rows]
    assert len(set().union(*pixels)) > 16, "the screenshot is blank or nearly so"
    banner = [row.most_common(1)[0][0] for row in pixels[:160]]
    assert "fdecea" in banner, "no FAIL banner at the top of the page"  # the header's background (v-FAIL)
    drawn = set().union(*pixels[:1200])
    for severity in ("critical", "high", "medium", "low"):  # the bundled example has findings of each
        assert COLOURS[severity].lstrip("#") in drawn, f"no {severity} bar in the chart"
