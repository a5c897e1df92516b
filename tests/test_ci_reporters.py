"""The CI and audit outputs (``--format junit|sarif|github|markdown``), end to end through the CLI.

What integrators and auditors rely on: JUnit counts that match the report (an incomplete run is
never green), SARIF that validates against the official 2.1.0 schema and points at the offending
record, GitHub annotations that the runner parses as intended, Markdown a person can read and that
input cannot rewrite; and in every format: buyer data redacted, no control characters, no live
spreadsheet formula, and waived findings visible as waived.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from tests.conftest import AS_OF, EXAMPLES, REPO, write_tsv

from order_guard.reporters.markdown_page import md

FORMATS = ["junit", "sarif", "github", "markdown"]
SARIF_SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

INJECT = "| [x](http://evil) <script>"
FORMULA = '=HYPERLINK("http://evil")'
ANSI_ORDER = "ANSI-\x1b[31m\x07-1"
#: Distinctive fragments of buyer data: a v0 ShippingAddress/BuyerInfo and an Unshipped report row.
V0_PII = {"Name": "Jonas Beispiel", "AddressLine1": "Musterstraße 5", "Phone": "+49 30 5550123",
          "BuyerEmail": "jb.leak@marketplace.amazon.de"}
V0_FRAGMENTS = ["Beispiel", "Musterstra", "5550123", "jb.leak"]
UNSHIPPED_FRAGMENTS = ["Giulia Esempio", "Via Esempio", "5550987", "gq.leak"]

ALL_ORDERS_HEADER = ["amazon-order-id", "purchase-date", "order-status", "fulfillment-channel", "currency",
                     "item-price", "sku", "quantity", "product-name"]
UNSHIPPED_HEADER = ["order-id", "order-item-id", "purchase-date", "buyer-email", "buyer-phone-number", "sku",
                    "product-name", "quantity-purchased", "quantity-to-ship", "recipient-name", "ship-address-1",
                    "ship-city", "ship-country"]
SHIP_HEADER = ["order-id", "order-item-id", "quantity", "ship-date", "tracking-number"]


# --- helpers ------------------------------------------------------------------------------------

@pytest.fixture
def example(monkeypatch) -> Path:
    """The bundled example as a user in a checkout names it: a relative path (CI annotations need one)."""
    monkeypatch.chdir(REPO)
    return EXAMPLES.relative_to(REPO)


def check(run_cli, *args: object):
    return run_cli("check", *args, "--as-of", AS_OF, "-q")


def write_waivers(path: Path) -> Path:
    """Active on AMZ-PEND-001, expired on AMZ-PEND-008, stale on AMZ-PEND-005; hostile reasons and owner."""
    path.write_text(
        "waivers:\n"
        "  - rule: AMZ-PEND-001\n    order_id: 405-1000001-0000001\n"
        '    reason: "parcel stopped at the carrier \\e[31m | [x](http://evil)"\n'
        "    owner: ops@example.com\n    expires: '2027-01-31'\n"
        "  - rule: AMZ-PEND-008\n    order_id: 405-1000005-0000005\n"
        "    reason: waiting on Amazon support case 4711\n    owner: mara\n    expires: '2026-01-01'\n"
        "  - rule: AMZ-PEND-005\n    order_id: 405-0000000-0000000\n"
        f"    reason: '{FORMULA}'\n    owner: '=cmd|calc'\n    expires: '2027-01-01'\n",
        encoding="utf-8")
    return path


@pytest.fixture
def hostile(tmp_path) -> Path:
    """Orders whose values attack the outputs: Markdown/HTML, a formula, ANSI codes, buyer data, a bad record."""
    data = tmp_path / "data"
    data.mkdir()
    old = "2026-10-01T00:00:00Z"
    orders = [
        {"AmazonOrderId": "PII-1", "OrderStatus": "Pending", "PurchaseDate": "2026-11-25T10:00:00Z",
         "ShippingAddress": {"Name": V0_PII["Name"], "AddressLine1": V0_PII["AddressLine1"],
                             "Phone": V0_PII["Phone"], "City": "Berlin", "CountryCode": "DE"},
         "BuyerInfo": {"BuyerEmail": V0_PII["BuyerEmail"], "BuyerName": "J. Beispiel"}},
        {"AmazonOrderId": FORMULA, "OrderStatus": "Pending", "PurchaseDate": old},
        {"AmazonOrderId": ANSI_ORDER, "OrderStatus": "Pending", "PurchaseDate": old},
        {"AmazonOrderId": "UNS-1", "OrderStatus": "Pending", "PurchaseDate": "2026-11-25T10:00:00Z"},
        {"AmazonOrderId": "BAD-1", "OrderStatus": "Pending", "PurchaseDate": "\x1b[2J" + FORMULA},
    ]
    (data / "orders.json").write_text(json.dumps({"payload": {"Orders": orders}}), encoding="utf-8")
    write_tsv(data / "all-orders.txt", ALL_ORDERS_HEADER, [
        [INJECT, old, "Pending", "Merchant", "EUR", "9.90", "MUG-RED", 1, "Tazza"],
        # A shipped Canceled order: value at risk in a currency that is itself an attack.
        ["CAN-1", "2026-11-20T10:00:00Z", "Canceled", "Merchant", "=cmd|'\x1b[31m'", "10.00", "MUG-RED", 1,
         INJECT],
    ])
    write_tsv(data / "unshipped.txt", UNSHIPPED_HEADER, [
        ["UNS-1", "630100", "2026-11-25T10:00:00Z", "gq.leak@marketplace.amazon.it", "+39 011 5550987",
         "MUG-RED", INJECT, 1, 1, "Giulia Esempio", "Via Esempio 12", "Torino", "IT"],
    ])
    write_tsv(data / "confirm.txt", SHIP_HEADER, [["CAN-1", "630101", 1, "2026-11-26", "BRT1"]])
    return data


def report_of(run_cli, *args: object) -> dict:
    return check(run_cli, *args, "--format", "json").json()


def junit(text: str) -> ET.Element:
    return ET.fromstring(text)


def json_strings(value, keys: bool = True):
    """Every string in a JSON document (keys included): the 'cells' a consumer might export."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if keys:
                yield key
            yield from json_strings(item, keys)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item, keys)


def parse_annotation(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the Actions runner parses it: ``::name k=v,k=v::message``, then unescaped."""
    match = re.fullmatch(r"::([a-z-]+)(?: ([^:]*))?::(.*)", line)
    assert match, f"not a workflow command: {line!r}"
    def unescape(text: str, prop: bool) -> str:
        if prop:
            text = text.replace("%3A", ":").replace("%2C", ",")
        return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
    props = {}
    for pair in (match[2] or "").split(","):
        key, _, value = pair.partition("=")
        props[key] = unescape(value, prop=True)
    return match[1], props, unescape(match[3], prop=False)


def annotations(stdout: str, findings_only: bool = True) -> list[tuple[str, dict[str, str], str]]:
    """The workflow commands of a run; by default only those about findings (not the run's own
    notes, such as a rule that could not see one of its datasets)."""
    found = [parse_annotation(line) for line in stdout.splitlines() if line.startswith("::")]
    return [a for a in found if not (findings_only and a[1].get("title", "").startswith("order-guard:"))]


def markdown_rows(text: str) -> list[list[str]]:
    """Table rows split on unescaped pipes, as GFM splits them."""
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            for line in text.splitlines() if line.startswith("|")]


def output_values(fmt: str, stdout: str) -> list[str]:
    """The separate values of an output: XML attributes and texts, JSON strings, annotation parts, table cells."""
    if fmt == "junit":
        return [v for el in junit(stdout).iter() for v in [*el.attrib.values(), *(el.text or "").splitlines()]]
    if fmt == "sarif":
        return list(json_strings(json.loads(stdout)))
    if fmt == "github":
        return [v for _, props, message in annotations(stdout) for v in [*props.values(), *message.splitlines()]]
    return [cell for row in markdown_rows(stdout) for cell in row]


# --- every format -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_buyer_data_never_appears_unless_asked(run_cli, hostile, fmt):
    flagged = {(f["rule_id"], f["order_id"]) for f in report_of(run_cli, hostile)["findings"]}
    assert {("AMZ-PEND-002", "PII-1"), ("AMZ-PEND-003", "UNS-1")} <= flagged, "nothing to redact otherwise"

    hidden = check(run_cli, hostile, "--format", fmt)
    shown = check(run_cli, hostile, "--format", fmt, "--show-buyer-data")

    for fragment in V0_FRAGMENTS + UNSHIPPED_FRAGMENTS:
        assert fragment not in hidden.stdout + hidden.stderr
    assert "redacted" in hidden.stdout
    for fragment in V0_FRAGMENTS:  # the evidence does carry them when the user asks
        assert fragment in shown.stdout


@pytest.mark.parametrize("fmt", FORMATS)
def test_control_characters_from_input_never_reach_the_output(run_cli, hostile, tmp_path, fmt):
    waivers = write_waivers(tmp_path / "waivers.yaml")  # its reason carries ESC [31m
    result = check(run_cli, hostile, EXAMPLES, "--waivers", waivers, "--format", fmt)

    assert result.exit_code == 3  # BAD-1 could not be read
    assert not CONTROL.search(result.stdout)
    values = output_values(fmt, result.stdout)
    assert not [value for value in values if CONTROL.search(value)]
    assert any("[31m" in value for value in values), "the ANSI-bearing values are in the output, defused"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_spreadsheet_formula_at_the_start_of_a_value_is_defused(run_cli, hostile, tmp_path, fmt):
    waivers = write_waivers(tmp_path / "waivers.yaml")  # a reason and an owner that are formulas
    result = check(run_cli, hostile, EXAMPLES, "--waivers", waivers, "--format", fmt)

    values = [value.strip() for value in output_values(fmt, result.stdout)]
    assert not [value for value in values if value.startswith(("=HYPERLINK", "=cmd"))]
    assert any("HYPERLINK" in value for value in values), "the formula is in the output, defused"
    if fmt != "github":  # annotations carry the order id only inside the message
        assert any(value.startswith("'=HYPERLINK") for value in values)


def _waived_junit(stdout: str) -> None:
    case = junit(stdout).find(".//testcase[@classname='AMZ-PEND-001'][@name='405-1000001-0000001']")
    message = case.find("skipped").get("message")
    assert message.startswith("waived: parcel stopped at the carrier")
    assert "ops@example.com" in message and "expires 2027-01-31" in message
    assert case.find("failure") is None


def _waived_sarif(stdout: str) -> None:
    results = json.loads(stdout)["runs"][0]["results"]
    waived = [r for r in results if r.get("suppressions")]
    assert [(r["ruleId"], r["properties"]["order_id"]) for r in waived] == [("AMZ-PEND-001", "405-1000001-0000001")]
    suppression = waived[0]["suppressions"][0]
    assert (suppression["kind"], suppression["status"]) == ("external", "accepted")
    assert "parcel stopped" in suppression["justification"] and "2027-01-31" in suppression["justification"]


def _waived_github(stdout: str) -> None:
    found = [(name, message) for name, props, message in annotations(stdout)
             if props.get("title", "").startswith("AMZ-PEND-001") and props.get("line") == "2"]
    assert [name for name, _ in found] == ["notice"]
    assert found[0][1].startswith("waived: parcel stopped at the carrier")
    assert "ops@example.com, expires 2027-01-31" in found[0][1]


def _waived_markdown(stdout: str) -> None:
    rows = [row for row in markdown_rows(stdout) if "405-1000001-0000001" in row and row[1].startswith("AMZ-PEND-001")]
    assert len(rows) == 1 and rows[0][-1].startswith("**waived**: parcel stopped at the carrier")
    waiver_rows = {row[0]: row for row in markdown_rows(stdout) if row and row[0] in ("active", "expired", "stale")}
    assert set(waiver_rows) == {"active", "expired", "stale"}


@pytest.mark.parametrize(("fmt", "assert_waived"), [
    ("junit", _waived_junit), ("sarif", _waived_sarif), ("github", _waived_github), ("markdown", _waived_markdown),
])
def test_waived_findings_stay_visible_as_waived(run_cli, tmp_path, fmt, assert_waived):
    result = check(run_cli, EXAMPLES, "--waivers", write_waivers(tmp_path / "w.yaml"), "--format", fmt)

    assert result.exit_code == 1  # the other findings still fail the run
    assert_waived(result.stdout)


def test_several_outputs_in_one_run(run_cli, tmp_path):
    xml_path, sarif_path = tmp_path / "a.xml", tmp_path / "b.sarif"
    result = check(run_cli, EXAMPLES, "--output", f"junit={xml_path}", "--output", f"sarif={sarif_path}",
                   "--format", "github")

    assert result.exit_code == 1
    # 7 of the 10 findings are at or above --fail-on high; the 3 below it are skipped, not failed.
    root = junit(xml_path.read_text(encoding="utf-8"))
    assert (int(root.get("failures")), int(root.get("skipped"))) == (7, 3)
    assert len(json.loads(sarif_path.read_text(encoding="utf-8"))["runs"][0]["results"]) == 10
    assert len(annotations(result.stdout)) == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xml", "b.sarif"]


# --- JUnit ---------------------------------------------------------------------------------------

COUNTS = ("tests", "failures", "errors", "skipped")


def _assert_counts_add_up(root: ET.Element) -> None:
    """Each suite's attributes count its own cases, and the root adds the suites up."""
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        for tag, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            assert int(suite.get(attr)) == sum(1 for case in cases if case.find(tag) is not None)
    for attr in COUNTS:
        assert int(root.get(attr)) == sum(int(s.get(attr)) for s in root.iter("testsuite"))


def test_junit_counts_what_the_report_counts(run_cli, tmp_path):
    waivers = write_waivers(tmp_path / "w.yaml")
    report = report_of(run_cli, EXAMPLES, "--waivers", waivers)
    root = junit(check(run_cli, EXAMPLES, "--waivers", waivers, "--format", "junit").stdout)

    _assert_counts_add_up(root)
    summary = report["summary"]
    failing = [f for f in report["findings"] if "suppression" not in f and f["severity"] in ("critical", "high")]
    stale = summary["waivers"]["stale"]
    assert (int(root.get("tests")), int(root.get("failures")), int(root.get("skipped")), int(root.get("errors"))) == (
        summary["findings"] + stale, len(failing), summary["findings"] - len(failing) + stale, len(report["errors"]))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert {f"{r['id']} {r['name']}" for r in report["rules"]} <= set(suites)
    assert len([name for name in suites if name.startswith("AMZ-PEND-")]) == len(report["rules"]) == 9
    assert int(suites["AMZ-PEND-004 shipped-outside-payment-protection"].get("failures")) == 2


def test_junit_failure_carries_message_evidence_and_location(run_cli, example):
    root = junit(check(run_cli, example, "--format", "junit").stdout)

    case = root.find(".//testcase[@classname='AMZ-PEND-001']")
    assert (case.get("name"), case.get("file"), case.get("line")) == (
        "405-1000001-0000001", "examples/amazon-it/all-orders.txt", "2")
    failure = case.find("failure")
    assert failure.get("type") == "critical"
    assert failure.get("message").startswith("Order 405-1000001-0000001 is Pending")
    assert "location: examples/amazon-it/all-orders.txt:2" in failure.text
    assert '"path": "examples/amazon-it/ship-confirm.txt"' in failure.text  # evidence: the shipment row
    stock = root.find(".//testcase[@classname='AMZ-PEND-006']")
    # Medium is below the default --fail-on high: shown, but skipped so the build stays green.
    assert stock.get("name") == "MUG-RED" and "medium finding below --fail-on high" in stock.find("skipped").get("message")


def test_junit_passes_a_clean_rule_and_never_passes_an_incomplete_run(run_cli, hostile):
    report = report_of(run_cli, hostile)
    root = junit(check(run_cli, hostile, "--format", "junit").stdout)

    _assert_counts_add_up(root)
    clean = root.find(".//testsuite[@name='AMZ-PEND-005 fba-order-not-seller-shipped']")
    (case,) = clean.findall("testcase")
    assert re.fullmatch(r"no findings over \d+ records", case.get("name"))
    assert len(case) == 0  # passing
    errors = root.find(".//testsuite[@name='order-guard input errors']")
    assert int(errors.get("errors")) == len(report["errors"]) == 1
    assert int(root.get("errors")) == 1
    assert "not a date" in errors.find("testcase/error").get("message")


# --- SARIF ---------------------------------------------------------------------------------------

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def _sarif_validator():
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"the official SARIF 2.1.0 schema is not at {SARIF_SCHEMA} (../shared is absent)")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)  # the draft its $schema names (draft-04)


def test_sarif_validates_against_the_official_schema(run_cli, hostile, tmp_path):
    validator = _sarif_validator()
    baseline = tmp_path / "baseline.json"
    check(run_cli, EXAMPLES, "--write-baseline", baseline, "--format", "json")
    runs = {
        "example+waivers": check(run_cli, EXAMPLES, "--waivers", write_waivers(tmp_path / "w.yaml"), "--format", "sarif"),
        "baseline": check(run_cli, EXAMPLES, "--baseline", baseline, "--format", "sarif"),
        "incomplete": check(run_cli, hostile, "--format", "sarif"),
    }
    for name, result in runs.items():
        document = json.loads(result.stdout)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
        assert not errors, f"{name}: {errors[:5]}"
        assert document["version"] == "2.1.0"
        assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"


def test_sarif_describes_every_rule_and_points_at_the_record(run_cli, example):
    report = report_of(run_cli, example)
    first = json.loads(check(run_cli, example, "--format", "sarif").stdout)["runs"][0]
    second = json.loads(check(run_cli, example, "--format", "sarif").stdout)["runs"][0]

    rules = first["tool"]["driver"]["rules"]
    assert first["tool"]["driver"]["name"] == "order-guard" and first["tool"]["driver"]["version"]
    assert [r["id"] for r in rules] == [r["id"] for r in report["rules"]]
    for described, rule in zip(rules, report["rules"], strict=True):
        assert described["shortDescription"]["text"] == rule["summary"]
        assert described["fullDescription"]["text"] == rule["rationale"]
        assert described["help"]["text"].startswith(rule["remediation"])
        assert all(ref in described["help"]["text"] for ref in rule["references"])
        assert described["defaultConfiguration"]["level"] == LEVELS[rule["severity"]]
        assert described["properties"] == {"severity": rule["severity"], "tags": rule["tags"], "pack": rule["pack"]}
    results = first["results"]
    assert len(results) == len(report["findings"])
    for result, finding in zip(results, report["findings"], strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding["rule_id"]
        assert result["level"] == LEVELS[finding["severity"]]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == finding["location"]["path"]  # relative stays relative
        if finding["location"]["line"]:
            assert physical["region"]["startLine"] == finding["location"]["line"]
        else:  # a JSON document: the pointer names the record
            assert "region" not in physical
            assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == finding["location"]["pointer"]
    fingerprints = [r["partialFingerprints"] for r in results]
    assert fingerprints == [r["partialFingerprints"] for r in second["results"]]
    assert len({json.dumps(f) for f in fingerprints}) == len(fingerprints)
    digests = {a["location"]["uri"]: a["hashes"]["sha-256"] for a in first["artifacts"]}
    assert digests == {entry["path"]: entry["sha256"] for entry in report["inputs"]}
    assert first["invocations"][0]["executionSuccessful"] is True


def test_sarif_suppresses_baselined_findings_and_reports_an_incomplete_run(run_cli, hostile, tmp_path):
    baseline = tmp_path / "baseline.json"
    check(run_cli, EXAMPLES, "--write-baseline", baseline, "--format", "json")
    results = json.loads(check(run_cli, EXAMPLES, "--baseline", baseline, "--format", "sarif").stdout)["runs"][0]["results"]
    assert len(results) == 10
    baselined = [r for r in results if "suppressions" in r]
    assert len(baselined) == 8  # critical findings are never baselined
    assert all(r["suppressions"][0]["status"] == "accepted" and "baseline" in r["suppressions"][0]["justification"]
               for r in baselined)

    run = json.loads(check(run_cli, hostile, "--format", "sarif").stdout)["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
    assert "not a date" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert (hostile / "all-orders.txt").as_uri() in uris  # an absolute input path becomes a file URI


# --- GitHub --------------------------------------------------------------------------------------

def test_github_annotates_each_finding_with_file_line_and_level(run_cli, example):
    report = report_of(run_cli, example)
    result = check(run_cli, example, "--format", "github")
    found = annotations(result.stdout)

    assert len(found) == len(report["findings"])
    assert result.stdout.startswith("::error file=examples/amazon-it/all-orders.txt,line=2,"
                                    "title=AMZ-PEND-001 pending-not-shipped::Order 405-1000001-0000001 is Pending")
    for (name, props, message), finding in zip(found, report["findings"], strict=True):
        assert name == {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}[finding["severity"]]
        assert props["file"] == finding["location"]["path"]
        assert props.get("line") == (str(finding["location"]["line"]) if finding["location"]["line"] else None)
        assert message.startswith(finding["message"])
    assert result.stdout.splitlines()[-1].startswith("order-guard FAIL")


def test_github_escapes_percent_newlines_colons_and_commas(run_cli, tmp_path):
    data = tmp_path / "in, 100%: data"  # a directory name that needs every property escape
    data.mkdir()
    orders = write_tsv(data / "orders.txt", ALL_ORDERS_HEADER, [
        ["PCT-100%-A", "2026-10-01T00:00:00Z", "Pending", "Merchant", "EUR", "1.00", "MUG-RED", 1, "x"],
        ["BAD-2", "yesterday", "Pending", "Merchant", "EUR", "1.00", "MUG-RED", 1, "x"],
    ])
    result = check(run_cli, orders, "--format", "github")

    lines = result.stdout.splitlines()
    assert all(line.startswith("::") for line in lines[:-1])  # no data escaped onto a line of its own
    finding, error = annotations(result.stdout)
    assert finding[1]["file"] == error[1]["file"] == str(orders)
    assert "%2C 100%25%3A data" in lines[0]
    assert finding[1]["line"] == "2" and error[1]["line"] == "3"
    assert finding[2].startswith("Order PCT-100%-A has been Pending")
    assert "\nevidence: " in finding[2] and "%0Aevidence: " in lines[0]  # our own line break, escaped
    assert error[0] == "error" and "not a date" in error[2]


# --- Markdown ------------------------------------------------------------------------------------

def test_markdown_summary_reads_as_a_report(run_cli, tmp_path):
    waivers = write_waivers(tmp_path / "w.yaml")
    report = report_of(run_cli, EXAMPLES, "--waivers", waivers)
    text = check(run_cli, EXAMPLES, "--waivers", waivers, "--format", "markdown").stdout

    assert "Result: **FAIL**: 6 open finding(s) at or above high (exit 1)" in text
    assert f"As of {AS_OF}" in text
    rows = markdown_rows(text)
    for entry in report["inputs"]:
        assert [entry["path"], entry["kind"], entry["format"], str(entry["records"]), "0",
                f"`{entry['sha256'][:12]}`"] in rows
    assert ["critical", "2"] in rows and ["low", "1"] in rows
    assert ["AMZ-PEND-004", "shipped-outside-payment-protection", "high", "2", ""] in rows
    assert "- Value at risk: 44.10 EUR" in text
    assert "- Waivers: 1 active, 1 expired, 1 stale" in text
    findings = [row for row in rows if len(row) == 7 and row[0] in ("critical", "high", "medium", "low")]
    assert len(findings) == report["summary"]["findings"]
    assert any(row[-1] == "open (waiver expired 2026-01-01)" for row in findings)


def test_markdown_input_cannot_inject_links_html_or_break_tables(run_cli, hostile):
    text = check(run_cli, hostile, "--format", "markdown").stdout

    for line in text.splitlines():
        assert "<script" not in line
        assert not re.search(r"(?<!\\)\[x(?<!\\)\]\(", line), line  # no live [x](...) link
    for block in re.split(r"\n\n", text):
        rows = markdown_rows(block)
        assert len({len(row) for row in rows}) <= 1, f"a table lost its shape:\n{block}"
    assert "\\| \\[x\\](http\\://evil) &lt;script&gt;" in text  # the order id, as inert text
    assert "## Errors" in text and "not a date" in text


@pytest.mark.parametrize(("value", "expected"), [
    ("- 5", "\\- 5"), ("1. first", "1\\. first"), ("# heading", "\\# heading"),
    ("a_b*c`d", "a\\_b\\*c\\`d"), ("see www.evil.example", "see www\\.evil.example"), ("10.5", "10.5"),
])
def test_markdown_escape_neutralises_block_and_inline_syntax(value, expected):
    assert md(value) == expected
