"""HR roster and device inventory exports: header spellings, mappings, dialects, bad rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from farmhunt.enrich.facts.roster import LATEST_WORKERS_SQL
from farmhunt.ingest.hashing import head_digest
from farmhunt.ingest.model import IngestOptions
from farmhunt.ingest.pipeline import ingest_paths as ingest
from farmhunt.ingest.reading import iter_results
from farmhunt.schema import STORE_TABLES, get_table
from farmhunt.sources import read_sample
from farmhunt.sources.base import FileError, RecordError, Rejected, Stream
from farmhunt.sources.framing import open_decompressed
from farmhunt.sources.hr.checks import check_email, check_timezone, e164, parse_date
from farmhunt.sources.hr.fields import DEVICE_FIELDS, ROSTER_FIELDS, header_key
from farmhunt.sources.hr.mapping import (
    MappingError,
    load_column_map,
    parse_column_map,
    shipped_mappings,
)
from farmhunt.sources.hr.parser import COLUMN_MAP_OPTION
from farmhunt.sources.registry import all_parsers, choose_parser
from farmhunt.store.arrow import to_arrow
from farmhunt.store.workspace import Workspace
from tests.golden import _jsonable, check_golden, golden_cases

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
MAPPED = HERE / "mapped"


def _format_of(sample: Path) -> str:
    return "device_inventory" if sample.name.startswith("inventory") else "hr_roster"


@pytest.mark.parametrize("sample,golden", golden_cases(HERE), ids=lambda p: p.name)
def test_golden(sample: Path, golden: Path, update_golden: bool) -> None:
    check_golden(sample, golden, update_golden, expected_format=_format_of(sample))


def parse_with(
    path: Path, options: dict[str, Any], max_record_bytes: int = 1 << 20
) -> list[dict[str, Any]]:
    """Like the golden harness, with parser options (sniff and frame both see them)."""
    sample = read_sample(str(path))
    sample.options = options
    parser = choose_parser(sample)
    out: list[dict[str, Any]] = []
    with open_decompressed(str(path)) as binary:
        stream = Stream(
            str(path), path.name, binary, sample.encoding or "utf-8", max_record_bytes, options
        )
        for number, outcome in iter_results(parser, stream, head_digest(str(path))):
            if isinstance(outcome, Rejected):
                out.append({"quarantine": {"record": number, "reason": outcome.reason}})
                continue
            for table, row in outcome:
                to_arrow(get_table(table), [row])
                out.append({"table": table, "row": _jsonable(row)})
    return out


def test_custom_mapping_golden(update_golden: bool) -> None:
    mapping = load_column_map(str(MAPPED / "hris-custom.yaml"))
    outcomes = parse_with(MAPPED / "hris-custom.csv", {COLUMN_MAP_OPTION: mapping})
    text = "".join(json.dumps(o, sort_keys=True, ensure_ascii=False) + "\n" for o in outcomes)
    golden = HERE / "golden" / "mapped" / "hris-custom.csv.jsonl"
    if update_golden or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    first, second = (o["row"] for o in outcomes)
    assert first["employee_id"] == "P-77" and first["full_name"] == "Oliver Grant"
    assert first["hire_date"] == "2024-04-03T00:00:00+00:00"  # date_order: DMY
    assert second["hire_date"] == "2025-11-17T00:00:00+00:00"
    assert first["home_address"] == "14 Mill Lane, Leeds, LS1 4AP"  # three headers joined
    assert second["ship_address"] == "Unit 9, 40 Canal Rd, Bradford BD1 4SJ"
    assert first["phone_e164"] == "+447700900123"  # phone_region: GB
    assert first["metadata.product.name"] == "PeopleDB"
    assert "title" not in first  # the mapping says never to fill it
    assert first["unmapped"] == {"Title": "Engineer"}


def test_custom_headers_need_the_mapping() -> None:
    sample = read_sample(str(MAPPED / "hris-custom.csv"))
    with pytest.raises(FileError):
        choose_parser(sample)
    sample.options = {COLUMN_MAP_OPTION: load_column_map(str(MAPPED / "hris-custom.yaml"))}
    assert choose_parser(sample).name == "hr_roster"


def _rows(name: str) -> list[dict[str, Any]]:
    golden = HERE / "golden" / f"{name}.jsonl"
    return [json.loads(line) for line in golden.read_text(encoding="utf-8").splitlines()]


def test_default_roster_fields_and_bad_rows() -> None:
    outcomes = check_golden(
        SAMPLES / "roster-default.csv", HERE / "golden" / "roster-default.csv.jsonl", False
    )
    rows = {o["row"]["employee_id"]: o["row"] for o in outcomes if "row" in o}
    bad = [o["quarantine"] for o in outcomes if "quarantine" in o]
    jane = rows["E1001"]
    assert jane["timezone"] == "America/Chicago" and jane["work_country"] == "US"
    assert jane["hire_date"] == "2024-03-18T00:00:00+00:00"
    assert jane["phone"] == "+1 512-555-0142" and jane["phone_e164"] == "+15125550142"
    assert jane["payroll_account"] == "sha256:4f2a9c0d1e"
    assert jane["unmapped"] == {"cost_center": "CC-410"}
    bob = rows["E1002"]
    assert bob["home_address"] == "88 Poplar Ave\nApt 2\nColumbus, OH 43215"  # quoted newlines
    assert bob["ship_address"].startswith("1410 Harbor Ridge Dr")
    assert bob["phone_e164"] == "+16145550100"  # no + in the cell: work_country US
    ana = rows["E1003"]
    assert ana["raw_source.record"] == 7  # the physical line, after a multi-line row and a blank
    assert ana["title"] == '=HYPERLINK("http://203.0.113.9/x","Data Analyst")'  # kept as text
    assert ana["phone"] == "@SUM(1+1)" and "phone_e164" not in ana
    assert ana["payroll_account"] == "+cmd|' /C calc'!A0"
    assert ana["timezone"] == "America/Denver"  # canonical case of 'america/denver'
    assert ana["hire_date"] == "2024-05-01T00:00:00+00:00"  # 05/01/2024 read month first
    assert json.loads(ana["raw_data"])["timezone"] == "america/denver"  # evidence as given
    assert [b["reason"] for b in bad] == [
        "timezone 'EST5' is not an IANA zone",
        "email 'dev.null at example.com' is not an email address",
        "hire_date '2024-13-45' is not a date",
        "employee_id is missing (column 'employee_id' is empty)",
        "row has 18 cells but the header has 17 (a stray delimiter or quote?)",
    ]
    assert [b["record"] for b in bad] == [8, 9, 10, 11, 12]
    assert "E1009" in rows  # rows after the bad ones are still read


def test_bamboohr_export_gets_the_shipped_mapping_without_asking() -> None:
    rows = [o["row"] for o in _rows("roster-bamboohr.csv")]
    mike = rows[0]
    assert mike["metadata.product.name"] == "BambooHR"
    assert mike["employee_id"] == "1042"
    assert mike["full_name"] == "Michael Chen" and mike["preferred_name"] == "Mike"
    assert mike["hire_date"] == "2025-09-15T00:00:00+00:00"
    # City/State/Zip/Country are the HOME address in BambooHR, never the work location.
    assert mike["home_address"] == (
        "1410 Harbor Ridge Dr, Apt 3B, Nashville, TN, 37209, United States"
    )
    assert "work_city" not in mike and "work_country" not in mike
    assert mike["work_location"] == "Remote - US"
    assert mike["manager_email"] == "sara.okafor@example.com"
    assert mike["personal_email"] == "mchen.dev88@gmail.com"
    assert rows[1]["unmapped"]["Work Phone"] == "(512) 555-0100"  # the mobile phone wins
    # Forcing it by name gives the same rows.
    forced = parse_with(
        SAMPLES / "roster-bamboohr.csv", {COLUMN_MAP_OPTION: load_column_map("bamboohr")}
    )
    assert [o["row"] for o in forced] == rows


def test_semicolons_bom_dotted_dates_and_snapshot_time() -> None:
    outcomes = _rows("roster-semicolon-bom.csv")
    lukas, zoe = outcomes[0]["row"], outcomes[1]["row"]
    assert lukas["employee_id"] == "20417"  # the BOM is not part of the first header
    assert lukas["hire_date"] == "2023-02-01T00:00:00+00:00"  # 01.02.2023 is day-first
    assert lukas["time"] == "2025-10-30T00:00:00+00:00"  # from the Snapshot Date column
    assert lukas["phone_e164"] == "+493055501234"
    assert zoe["full_name"] == "Zoë Martin"
    assert zoe["home_address"] == "8 rue Mercière; 69002 Lyon"  # quoted delimiter
    assert outcomes[2] == {
        "quarantine": {"record": 4, "reason": "hire_date '31.02.2025' is not a date"}
    }


def test_report_title_rows_tabs_and_windows_1252() -> None:
    rows = [o["row"] for o in _rows("workday-report-tab.tsv")]
    assert [r["raw_source.record"] for r in rows] == [5, 6]  # after 3 title lines + header
    assert rows[1]["full_name"] == "Li Wei" and rows[1]["department"] == "Platform"
    assert rows[1]["phone_e164"] == "+6565550123"
    (renee,) = [o["row"] for o in _rows("roster-windows-1252.csv")]
    assert renee["full_name"] == "Renée François"
    assert renee["home_address"].endswith("Montréal, QC")


def test_inventories() -> None:
    snipe = _rows("inventory-snipeit.csv")
    first = snipe[0]["row"]
    assert first["asset_id"] == "A-0193" and first["hostname"] == "LT-0193"
    assert first["serial_number"] == "PF3BZ9QX"
    assert first["owner_email"] == "mkovacs@example.com"  # "Checked Out To" held an email
    assert first["shipped_to"] == "500 W 2nd St, Austin, TX 78701"
    assert first["shipped_on"] == "2024-01-08T00:00:00+00:00"
    alex = snipe[2]["row"]
    assert alex["owner"] == "Alex Chen" and "owner_email" not in alex
    assert snipe[4] == {
        "quarantine": {"record": 6, "reason": "owner 'not an email@' is not an email address"}
    }
    assert len(snipe) == 5  # the empty row is no record
    intune = [o["row"] for o in _rows("inventory-intune.csv")]
    assert intune[0]["owner_email"] == "priya.shah@example.com"
    assert intune[0]["device_uid"] == "0b2d4f6a-8c1e-4a3b-9d5f-7a9c1e3b5d67"
    assert intune[0]["os"] == "macOS" and intune[0]["unmapped"]["OS version"] == "15.1"


def _sample(tmp_path: Path, name: str, text: str) -> Any:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_sample(str(path))


def test_recognised_by_columns_not_file_names(tmp_path: Path) -> None:
    parsers = all_parsers()
    roster = _sample(
        tmp_path,
        "devices.txt",
        "Worker ID,Legal Name,Work Email,Start Date,Serial Number\n"
        "E1,A B,a@example.com,2024-01-01,X1\n",
    )
    assert choose_parser(roster).name == "hr_roster"
    inventory = _sample(
        tmp_path,
        "roster.csv",
        "Computer Name,Serial,Assigned To,Employee ID,Status,Model\n"
        "LT-1,X1,a@example.com,E1,Deployed,T14\n",
    )
    assert choose_parser(inventory).name == "device_inventory"
    # Other CSV exports (a Windows event export, a sign-in log) are not claimed.
    for text in (
        "Level,Date and Time,Source,Event ID,Task Category\nInformation,1/2/2025,x,4624,Logon\n",
        "Date (UTC),Request ID,User,Username,Application,IP address,Location,Status\n",
        "email,name\na@example.com,A\n",
    ):
        sample = _sample(tmp_path, "x.csv", text)
        assert parsers["hr_roster"].sniff(sample) == 0
        assert parsers["device_inventory"].sniff(sample) == 0
    # A JSON file that happens to have the keys is not a CSV export.
    json_sample = _sample(
        tmp_path, "r.json", '[{"employee_id": "E1", "email": "a@example.com", "hire_date": "x"}]'
    )
    assert parsers["hr_roster"].sniff(json_sample) == 0


def test_oversized_row_is_quarantined_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    big = "x" * 5000
    path.write_text(
        "Employee ID,Name,Email,Department,Hire Date\n"
        f"E1,{big},a@example.com,IT,2024-01-01\n"
        "E2,B,b@example.com,IT,2024-01-01\n",
        encoding="utf-8",
    )
    outcomes = parse_with(path, {}, max_record_bytes=1000)
    assert "larger than the 1,000-byte limit" in outcomes[0]["quarantine"]["reason"]
    assert outcomes[1]["row"]["employee_id"] == "E2"


def test_every_field_is_a_column_and_aliases_are_unambiguous() -> None:
    for fields, table in ((ROSTER_FIELDS, "workers"), (DEVICE_FIELDS, "devices")):
        spec = STORE_TABLES[table]
        keys: dict[str, str] = {}
        for field in fields:
            if field.name != "snapshot_date":
                assert spec.has_column(field.name), (table, field.name)
            for alias in field.aliases:
                key = header_key(alias)
                assert keys.setdefault(key, field.name) == field.name, (alias, keys[key])
    assert header_key("Employee #") == "employeenumber"
    assert header_key("GitHub Login") == header_key("github_login")
    assert header_key("hireDate") == header_key("Hire Date") == header_key("HIRE_DATE")


def test_column_map_files(tmp_path: Path) -> None:
    assert [m.name for m in shipped_mappings()] == ["bamboohr"]
    flat = parse_column_map({"employee_id": "Emp", "date_order": "dmy"}, "flat")
    assert flat.columns == {"employee_id": ("Emp",)} and flat.date_order == "DMY"
    bad = [
        ({"employe_id": "Emp"}, "unknown field 'employe_id'"),
        ({"employee_id": 7}, "must name a header"),
        ({"columns": ["a"]}, "'columns' must be a mapping"),
        ({"date_order": "YMD"}, "date_order must be MDY or DMY"),
        ({"phone_region": "USA"}, "phone_region must be a two-letter"),
        (["employee_id"], "must be a YAML mapping"),
    ]
    for data, message in bad:
        with pytest.raises(MappingError, match=message):
            parse_column_map(data, "m")
    with pytest.raises(MappingError, match="no shipped mapping of that name"):
        load_column_map(str(tmp_path / "missing.yaml"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("employee_id: [unclosed\n", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_column_map(str(broken))


@pytest.mark.parametrize(
    "text,order,expected",
    [
        ("2024-03-18", "MDY", (2024, 3, 18)),
        ("2024-03-18T00:00:00Z", "MDY", (2024, 3, 18)),
        ("2024/3/8", "MDY", (2024, 3, 8)),
        ("03/04/2024", "MDY", (2024, 3, 4)),
        ("03/04/2024", "DMY", (2024, 4, 3)),
        ("13/04/2024", "MDY", (2024, 4, 13)),
        ("04/13/2024", "DMY", (2024, 4, 13)),
        ("3/4/24", "MDY", (2024, 3, 4)),
        ("18.03.2024", "MDY", (2024, 3, 18)),
        ("3/18/2024 12:00:00 AM", "MDY", (2024, 3, 18)),
        ("18-Mar-2024", "MDY", (2024, 3, 18)),
        ("Mar 18, 2024", "MDY", (2024, 3, 18)),
        ("18 March 2024", "MDY", (2024, 3, 18)),
    ],
)
def test_parse_date(text: str, order: str, expected: tuple[int, int, int]) -> None:
    assert parse_date(text, "hire_date", order) == datetime(*expected, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2024-02-30", "31.02.2025", "yesterday", "18-Foo-2024", "45369"])
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(RecordError, match="is not a date"):
        parse_date(text, "hire_date")


def test_timezone_email_phone_checks() -> None:
    assert check_timezone("europe/berlin") == "Europe/Berlin"
    for bad in ("EST5", "UTC-05:00", "Central Time", "../etc/passwd"):
        with pytest.raises(RecordError, match="is not an IANA zone"):
            check_timezone(bad)
    assert check_email(" jane.doe+hr@example.co.uk ", "email") == "jane.doe+hr@example.co.uk"
    for bad in ("jane", "jane@localhost", "Jane Doe <jane@example.com>", "a@b@example.com"):
        with pytest.raises(RecordError, match="is not an email address"):
            check_email(bad, "email")
    assert e164("(512) 555-0142", "US") == "+15125550142"
    assert e164("(512) 555-0142", None) is None  # no country code and no region
    assert e164("+44 7700 900123", "US") == "+447700900123"
    assert e164("not a phone", "US") is None


def test_end_to_end_versions_and_column_map(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    first = tmp_path / "roster-2025-10.csv"
    first.write_text(
        "Employee ID,Name,Work Email,Department,Hire Date,Ship To Address\n"
        "E1,Jane Doe,jane@example.com,IT,2024-01-01,1 Home St\n",
        encoding="utf-8",
    )
    again = tmp_path / "roster-2025-11.csv"
    again.write_text(
        "Employee ID,Name,Work Email,Department,Hire Date,Ship To Address,As Of Date\n"
        "E1,Jane Doe,jane@example.com,IT,2024-01-01,77 Farm Ln,2099-11-01\n",
        encoding="utf-8",
    )
    results = ingest(ws, [str(first), str(again), str(first)])
    assert [r.status for r in results] == ["imported", "imported", "skipped"]
    results = ingest(
        ws,
        [str(MAPPED / "hris-custom.csv")],
        IngestOptions(
            parser_options={COLUMN_MAP_OPTION: load_column_map(str(MAPPED / "hris-custom.yaml"))}
        ),
    )
    assert (results[0].format, results[0].stored, results[0].rejected) == ("hr_roster", 2, 0)
    con = ws.connect()
    versions = con.execute(
        'SELECT ship_address, time, "raw_source.format" FROM workers '
        "WHERE employee_id = 'E1' ORDER BY time"
    ).fetchall()
    assert [v[0] for v in versions] == ["1 Home St", "77 Farm Ln"]  # both versions kept
    assert versions[0][1] is not None  # no snapshot column: the import time
    latest = con.execute(
        f"SELECT employee_id, ship_address FROM ({LATEST_WORKERS_SQL}) ORDER BY 1"
    ).fetchall()
    assert latest == [
        ("E1", "77 Farm Ln"),
        ("P-77", "14 Mill Lane, Leeds LS1 4AP"),
        ("P-78", "Unit 9, 40 Canal Rd, Bradford BD1 4SJ"),
    ]
    ws.close()
