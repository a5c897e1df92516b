"""Evidence bundles: written by check --evidence, re-run and compared by verify."""

from __future__ import annotations

import json
import shutil

import pytest
from tests.conftest import AS_OF, EXAMPLES


@pytest.fixture
def bundle(run_cli, tmp_path):
    data = shutil.copytree(EXAMPLES, tmp_path / "data")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {rule: AMZ-PEND-008, order_id: 405-1000005-0000005, "
                       "reason: escalated to Amazon support, owner: audit@example.com, expires: 2027-01-31}\n")
    directory = tmp_path / "evidence"
    result = run_cli("check", data, "--as-of", AS_OF, "--waivers", waivers, "--evidence", directory, "-q")
    assert result.exit_code == 1
    return directory, data


def test_the_bundle_records_versions_inputs_packs_waivers_and_the_report(bundle):
    directory, data = bundle
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["tool"]["name"] == "order-guard" and manifest["as_of"] == "2026-11-26T12:00:00Z"
    assert {plugin["name"] for plugin in manifest["plugins"]} >= {"file_source", "operators", "amazon_pack"}
    inputs = {entry["location"].rsplit("/", 1)[-1]: entry for entry in manifest["inputs"]}
    assert inputs["all-orders.txt"]["kind"] == "orders" and inputs["all-orders.txt"]["records"] == 11
    assert all(len(entry["sha256"]) == 64 for entry in manifest["inputs"])
    (pack,) = manifest["packs"]
    assert pack["name"] == "amazon-pending" and (directory / pack["file"]).is_file()
    assert manifest["waivers"]["sha256"] and manifest["waivers_applied"][0]["status"] == "active"
    report = json.loads((directory / "report.json").read_text())
    assert report["summary"]["findings"] == 10 and report["summary"]["waived"] == 1


def test_verify_says_identical_when_nothing_changed(run_cli, bundle):
    directory, _ = bundle
    result = run_cli("verify", directory)
    assert result.exit_code == 0
    assert result.stdout.startswith("IDENTICAL")


def test_verify_refuses_when_an_input_changed_or_vanished(run_cli, bundle):
    directory, data = bundle
    with open(data / "ship-confirm.txt", "a", encoding="utf-8") as ship:
        ship.write("405-1000009-0000009\t1\t1\t2026-11-26\tBRT\t\tX\tStd\r\n")
    result = run_cli("verify", directory)
    assert result.exit_code == 3 and "ship-confirm.txt changed since the run" in result.stdout
    (data / "ship-confirm.txt").unlink()
    result = run_cli("verify", directory)
    assert result.exit_code == 3 and "no longer there" in result.stdout


def test_verify_names_the_difference_when_the_result_is_not_reproduced(run_cli, bundle):
    directory, _ = bundle
    # The same packs, waivers and data, but a newer order-guard that reads them differently:
    # here, a report whose recorded result was edited (its digest updated to hide the edit).
    import hashlib

    report_path = directory / "report.json"
    report = json.loads(report_path.read_text())
    report["summary"]["findings"] = 9
    report_path.write_text(json.dumps(report, indent=2))
    manifest_path = directory / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["report"]["sha256"] = hashlib.sha256(report_path.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    result = run_cli("verify", directory)
    assert result.exit_code == 1
    assert result.stdout.startswith("DIFFERENT")
    assert "report.summary.findings: 9 recorded, 10 on re-run" in result.stdout


def test_verify_refuses_a_bundle_whose_copies_were_altered(run_cli, bundle):
    directory, _ = bundle
    pack = next((directory / "packs").iterdir())
    pack.write_text(pack.read_text().replace("age_days: {gt: 21}", "age_days: {gt: 60}"))
    waivers = directory / "waivers.yaml"
    waivers.write_text(waivers.read_text().replace("2027-01-31", "2099-12-31"))
    result = run_cli("verify", directory)
    assert result.exit_code == 3
    assert "01-pending.yaml was changed after the run" in result.stdout
    assert "waivers.yaml was changed after the run" in result.stdout


def test_the_bundle_records_the_verdict_and_how_the_run_was_asked_for(run_cli, tmp_path):
    data = shutil.copytree(EXAMPLES, tmp_path / "data")
    directory = tmp_path / "evidence"
    run_cli("check", data, "--as-of", AS_OF, "--encoding", "utf-8", "--fail-on", "critical",
            "--evidence", directory, "-q")
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["verdict"]["exit_code"] == 1 and manifest["verdict"]["result"] == "FAIL"
    assert manifest["fail_on"] == "critical"
    assert {entry["encoding"] for entry in manifest["inputs"]} == {"utf-8"}
    assert run_cli("verify", directory).exit_code == 0


def test_writing_a_bundle_again_replaces_it_whole(run_cli, bundle, tmp_path):
    directory, data = bundle
    stray = directory / "packs" / "99-old.yaml"
    stray.write_text("left over")
    run_cli("check", data, "--as-of", AS_OF, "--waivers", directory / "waivers.yaml", "--evidence", directory, "-q")
    assert not stray.exists()
    assert run_cli("verify", directory).exit_code == 0


@pytest.mark.parametrize("damage", ["cwd", "report", "inputs"])
def test_a_hand_edited_manifest_is_a_clear_error(run_cli, bundle, damage):
    directory, _ = bundle
    manifest_path = directory / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest[damage]
    manifest_path.write_text(json.dumps(manifest))
    result = run_cli("verify", directory)
    assert result.exit_code == 2 and "damaged manifest" in result.stderr


def test_verify_needs_a_bundle(run_cli, tmp_path):
    result = run_cli("verify", tmp_path)
    assert result.exit_code == 2 and "manifest.json" in result.stderr
