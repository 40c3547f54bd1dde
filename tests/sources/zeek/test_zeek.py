"""Zeek logs: TSV and JSON framing, log recognition, conn/dns/ssl/rdp mappings."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from farmhunt.ingest.pipeline import ingest_paths
from farmhunt.sources import read_sample
from farmhunt.sources.registry import all_parsers
from farmhunt.sources.zeek.json_parser import ZeekJsonParser
from farmhunt.sources.zeek.tsv import ZeekTsvParser, unescape
from farmhunt.store import Workspace
from tests.golden import check_golden, golden_cases, parse_sample

HERE = Path(__file__).parent


def _format(sample: Path) -> str:
    return "zeek-json" if sample.name.endswith(".json") else "zeek-tsv"


@pytest.mark.parametrize("sample,golden", golden_cases(HERE), ids=lambda p: p.name)
def test_golden(sample: Path, golden: Path, update_golden: bool) -> None:
    check_golden(sample, golden, update_golden, expected_format=_format(sample))


# ------------------------------------------------------------------------- helpers

SAMPLES = HERE / "samples"
OTHER_FAMILIES = sorted(
    p for p in (HERE.parent).glob("*/samples/*") if p.is_file() and p.parent.parent.name != "zeek"
)


def _outcomes(path: Path) -> list[dict[str, Any]]:
    return parse_sample(path)


def _rows(path: Path, table: str | None = None) -> list[dict[str, Any]]:
    return [o["row"] for o in _outcomes(path) if "row" in o and table in (None, o["table"])]


def _by_uid(rows: list[dict[str, Any]], uid: str) -> dict[str, Any]:
    found = [r for r in rows if r.get("connection_info.uid") == uid]
    assert len(found) == 1, uid
    return found[0]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _tsv(
    path: str | None,
    fields: list[str],
    types: list[str],
    lines: list[list[str]],
    sep: str = "\t",
    header: tuple[str, str, str, str] = ("\\x09", ",", "(empty)", "-"),
) -> str:
    out = [f"#separator {header[0]}"]
    out += [f"#set_separator{sep}{header[1]}", f"#empty_field{sep}{header[2]}"]
    out += [f"#unset_field{sep}{header[3]}"]
    if path:
        out.append(f"#path{sep}{path}")
    out += ["#fields" + sep + sep.join(fields), "#types" + sep + sep.join(types)]
    out += [sep.join(line) for line in lines]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ the mappings


def test_conn_bytes_follow_the_originator_and_direction_comes_from_local_flags() -> None:
    rows = _rows(SAMPLES / "conn.log")
    anydesk = _by_uid(rows, "CHhAvVGS1DHFjwGM9")
    assert anydesk["src_endpoint.ip"] == "10.20.4.17"
    assert (anydesk["dst_endpoint.ip"], anydesk["dst_endpoint.port"]) == ("203.0.113.45", 443)
    assert anydesk["traffic.bytes_out"] == 18234551  # orig_bytes: what the VPN user sent
    assert anydesk["traffic.bytes_in"] == 412998003  # resp_bytes
    assert anydesk["traffic.packets_out"] == 301122
    assert anydesk["duration"] == 5412883  # 5412.883104 s in ms
    assert anydesk["connection_info.direction_id"] == 2  # local_orig T, local_resp F
    assert anydesk["app_name"] == "ssl"
    assert anydesk["unmapped"]["history"] == "ShADadFf"
    inbound_rdp = _by_uid(rows, "CyZBrB1Ruk3g1cwnZ2")
    assert inbound_rdp["connection_info.direction_id"] == 1
    assert inbound_rdp["src_endpoint.ip"] == "203.0.113.66"
    rustdesk = [r for r in rows if r.get("dst_endpoint.port") in (21116, 21117)]
    assert [(r["connection_info.protocol_name"], r["status"]) for r in rustdesk] == [
        ("udp", "SF"),
        ("tcp", "S1"),
    ]


def test_conn_state_decides_activity_and_status() -> None:
    rows = _rows(SAMPLES / "conn.log")
    by_state = {r["status"]: (r["activity_id"], r.get("status_id")) for r in rows}
    assert by_state["SF"] == (2, 1)  # Close
    assert by_state["S0"] == (4, 2)  # Fail: attempt, no reply
    assert by_state["REJ"] == (5, 2)  # Refuse
    assert by_state["RSTO"] == (3, 1)  # Reset
    assert by_state["S1"] == (6, 1)  # still open: Traffic


def test_icmp_type_and_code_are_not_stored_as_ports() -> None:
    icmp = _by_uid(_rows(SAMPLES / "conn.log"), "CtxPq72Hw5dLPgnzA1")
    assert "src_endpoint.port" not in icmp and "dst_endpoint.port" not in icmp
    assert (icmp["unmapped"]["id.orig_p"], icmp["unmapped"]["id.resp_p"]) == (8, 0)


def test_sets_and_unset_values_in_tsv() -> None:
    rows = _rows(SAMPLES / "conn.log")
    tunnel = _by_uid(rows, "CWa3D92Tw1j8UH0Cf7")
    assert tunnel["unmapped"]["tunnel_parents"] == ["CHhAvVGS1DHFjwGM9", "CVVq3K4bo8YS6sTjqf"]
    assert tunnel["app_name"] == "ssl,http"  # a string with commas, not a set
    attempt = _by_uid(rows, "CzQ8kq1oDdd5Gk4Py4")  # duration and bytes unset (-)
    assert "duration" not in attempt and "traffic.bytes_out" not in attempt
    assert attempt["unmapped"]["tunnel_parents"] == []  # (empty)


def test_dns_answers_keep_ttls_and_escaped_set_separators() -> None:
    rows = _rows(SAMPLES / "dns.log")
    boot = _by_uid(rows, "C1bXQe2l4GX6vE6Qm8")
    assert boot["answers"] == [
        {"rdata": "boot-01.net.anydesk.com", "ttl": 300},
        {"rdata": "203.0.113.46", "ttl": 60},
        {"rdata": "203.0.113.47", "ttl": 60},
    ]
    assert boot["query.hostname"] == "boot.net.anydesk.com" and boot["query.type"] == "A"
    assert (boot["rcode"], boot["rcode_id"], boot["activity_id"]) == ("NOERROR", 0, 6)
    assert boot["unmapped"]["RD"] is True and boot["unmapped"]["AA"] is False
    txt = _by_uid(rows, "CYoXg63OMx0vCFcLsa")
    assert len(txt["answers"]) == 1  # \x2c inside the element is a comma, not a separator
    assert "dmarc@example.com,mailto:ops@example.com" in txt["answers"][0]["rdata"]
    nx = _by_uid(rows, "CBm4aG3XqkBzEj3sv2")
    assert (nx["rcode"], nx["rcode_id"]) == ("NXDOMAIN", 3)
    unanswered = _by_uid(rows, "CnkR0b2zTd8k7EwE9b")
    assert unanswered["activity_id"] == 1 and "rcode_id" not in unanswered


def test_ssl_keeps_sni_certificate_and_fingerprints() -> None:
    rows = _rows(SAMPLES / "ssl.log")
    anydesk = _by_uid(rows, "CHhAvVGS1DHFjwGM9")
    assert anydesk["tls.sni"] == "relay-2b8c1f3e.net.anydesk.com"
    assert anydesk["tls.certificate.subject"] == "CN=AnyNet Relay"
    assert anydesk["tls.certificate.issuer"] == "CN=AnyNet Root CA"
    assert anydesk["tls.version"] == "TLSv12"
    assert anydesk["tls.ja3_hash.value"] == "8f9e3c2d1b0a49f8e7d6c5b4a3928170"
    assert anydesk["tls.ja3s_hash.value"] == "3e1c5f0a2b4d6e8f9a0b1c2d3e4f5a6b"
    assert anydesk["tls.certificate.fingerprints"][0]["algorithm"] == "SHA-256"
    assert anydesk["metadata.log_name"] == "ssl"
    teamviewer = _by_uid(rows, "CVh1Ah3xjXwJ9cPp5b")
    # \xc3\xb6 escapes are UTF-8 bytes: decoded, not left as text
    assert "L=Göppingen" in teamviewer["tls.certificate.subject"]
    assert teamviewer["unmapped"]["next_protocol"] == "http/1.1"
    failed = _by_uid(rows, "CL5c3v2pUjk8T4bQx3")
    assert (failed["status_id"], failed["status_detail"]) == (2, "handshake_failure")


def test_rdp_cookie_client_name_keyboard_and_build() -> None:
    rows = _rows(SAMPLES / "rdp.log")
    legacy = _by_uid(rows, "CRk3Qh2xWbFhKc7Ue5")
    assert legacy["src_endpoint.ip"] == "185.220.101.47"
    assert legacy["user.name"] == "adm_kim" and legacy["identifier_cookie"] == "adm_kim"
    assert legacy["src_endpoint.hostname"] == "DESKTOP-4F7QK2M"
    assert legacy["keyboard_info.keyboard_layout"] == "Korean"
    assert legacy["protocol_ver"] == "RDP 8.1"
    assert (legacy["remote_display.physical_width"], legacy["remote_display.physical_height"]) == (
        1920,
        1080,
    )
    assert legacy["remote_display.color_depth"] == 32
    assert legacy["unmapped.client_dig_product_id"] == "6f3a2b1c-9d4e-4a5b-8c7d-1e2f3a4"
    assert legacy["unmapped"]["client_channels"] == ["rdpdr", "rdpsnd", "cliprdr", "drdynvc"]
    assert (legacy["activity_id"], legacy["status_id"]) == (4, 1)
    nla = _by_uid(rows, "CyZBrB1Ruk3g1cwnZ2")
    assert (nla["activity_id"], nla["status"], nla["unmapped"]["security_protocol"]) == (
        5,
        "encrypted",
        "HYBRID",
    )
    refused = _by_uid(rows, "CbT3oQ4mYw9Jz1KxP6")
    assert (refused["activity_id"], refused["status_id"]) == (2, 2)
    lab = _by_uid(rows, "CmH2yJ3pWq8Nf4Zr71")
    assert lab["src_endpoint.hostname"] == "LAB\tPC7"  # \x09 unescaped
    assert lab["identifier_cookie"] == "j.doe-lap " and lab["user.name"] == "j.doe-lap"
    assert lab["protocol_ver"] == "client_build-19041"
    request_only = _by_uid(rows, "CeQ9fT1kZr2Lm5Jb68")
    assert request_only["activity_id"] == 1 and "status" not in request_only


def test_json_and_tsv_of_the_same_entries_give_the_same_rows() -> None:
    def comparable(row: dict[str, Any]) -> dict[str, Any]:
        skip = {"raw_data", "metadata.uid", "raw_source.record", "raw_source.file"}
        skip |= {"raw_source.format", "metadata.original_time"}
        return {k: v for k, v in row.items() if k not in skip}

    tsv = [comparable(r) for r in _rows(SAMPLES / "conn.log")]
    json_rows = [comparable(r) for r in _rows(SAMPLES / "conn.json")]
    assert tsv == json_rows
    rdp_tsv = [comparable(r) for r in _rows(SAMPLES / "rdp.log")]
    rdp_json = [comparable(r) for r in _rows(SAMPLES / "rdp.json")]
    assert rdp_tsv == rdp_json


def test_json_timestamps_epoch_millis_and_iso() -> None:
    ssl = _by_uid(_rows(SAMPLES / "ssl-millis.json"), "CHhAvVGS1DHFjwGM9")
    assert ssl["time"] == "2025-11-17T09:00:12.467000+00:00"
    assert ssl["metadata.original_time"] == "1763370012467"
    dns = _by_uid(_rows(SAMPLES / "dns-streaming-iso.json"), "CQk2b44Xl7uBqnn9Rk")
    assert dns["time"] == "2025-11-17T09:00:11.902114+00:00"
    assert dns["metadata.original_time"] == "2025-11-17T09:00:11.902114Z"
    assert dns["unmapped"]["_system_name"] == "vpn-sensor-01"


def test_other_logs_are_kept_whole_and_http_is_mapped() -> None:
    outcomes = _outcomes(SAMPLES / "other-logs.log")
    assert all("row" in o for o in outcomes)  # nothing rejected
    tables = [(o["table"], o["row"]["metadata.log_name"]) for o in outcomes]
    assert tables == [
        ("http_activity", "http"),
        ("base_event", "weird"),
        ("base_event", "x509"),
        ("base_event", "loaded_scripts"),
        ("base_event", "loaded_scripts"),
    ]
    http = outcomes[0]["row"]
    assert http["http_request.url.url_string"] == (
        "http://rs-ny.rustdesk.com/download/rustdesk-1.3.2-x86_64.exe"
    )
    assert http["activity_id"] == 3 and http["status"] == "200"
    x509 = outcomes[2]["row"]
    assert x509["unmapped"]["certificate.subject"] == "CN=AnyNet Relay"
    scripts = outcomes[3]["row"]  # no ts in loaded_scripts: the block's #open time
    assert scripts["time"] == "2025-11-17T09:00:00+00:00"


def test_streaming_json_routes_each_entry_by_path() -> None:
    outcomes = _outcomes(SAMPLES / "zeek-streaming-mixed.json")
    assert [(o["table"], o["row"]["metadata.log_name"]) for o in outcomes] == [
        ("network_activity", "conn"),
        ("rdp_activity", "rdp"),
        ("dns_activity", "dns"),
        ("network_activity", "ssl"),
        ("http_activity", "http"),
        ("base_event", "notice"),
        ("base_event", "files"),
        ("base_event", "stats"),
        ("base_event", "loaded_scripts"),
    ]


def test_partial_json_entries_are_recognised_by_their_fields() -> None:
    outcomes = _outcomes(SAMPLES / "partial.json")
    kinds = [o.get("table") or "quarantine" for o in outcomes]
    assert kinds == [
        "network_activity",
        "network_activity",
        "network_activity",  # no signature field: follows the conn entries before it
        "dns_activity",
        "network_activity",
        "rdp_activity",
        "quarantine",
    ]
    assert outcomes[4]["row"]["tls.sni"] == "relay-5d41c0aa.net.anydesk.com"
    assert outcomes[5]["row"]["src_endpoint.ip"] == "203.0.113.67"  # nested "id" object
    assert outcomes[6]["quarantine"]["reason"] == "ts is missing"


# --------------------------------------------------------------------- bad input


def test_bad_tsv_lines_are_quarantined_with_reasons_and_good_ones_kept() -> None:
    outcomes = _outcomes(SAMPLES / "conn-bad-lines.log")
    rejected = {
        o["quarantine"]["record"]: o["quarantine"]["reason"] for o in outcomes if "quarantine" in o
    }
    assert rejected == {
        10: "line has 9 fields but its #fields header declares 22",
        11: "field id.orig_p: 'dyn' is not a port number",
        12: "field ts: '17633703O2.104455' is not a Zeek time (seconds)",
        13: "field local_orig: 'yes' is not a Zeek bool (T or F)",
        14: "field id.resp_h: '10.10.5.321' is not an IP address",
    }
    kept = [o["row"]["raw_source.record"] for o in outcomes if "row" in o]
    assert kept == [9, 15]


def test_bad_json_entries_are_quarantined_with_reasons() -> None:
    outcomes = _outcomes(SAMPLES / "conn-bad.json")
    reasons = [o["quarantine"]["reason"] for o in outcomes if "quarantine" in o]
    assert reasons[0] == "id.orig_p 'ephemeral' is not a number"
    assert reasons[1] == "ts 'yesterday morning' is not a timestamp"
    assert reasons[2].startswith("invalid JSON")
    assert reasons[3] == "Zeek JSON entry is a list, not an object"
    assert reasons[4] == "ts is missing"
    assert reasons[5] == "id.resp_h 'not-an-address' is not an IP address"
    assert reasons[6] == "orig_bytes 'lots' is not a number"
    assert [o["row"]["raw_source.record"] for o in outcomes if "row" in o] == [1, 9]


def test_data_before_a_header_and_bad_header_lines(tmp_path: Path) -> None:
    text = _tsv(
        "conn",
        ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"],
        ["time", "string", "addr", "port", "addr", "port"],  # one type short
        [["1763370000.5", "Cx", "10.20.4.17", "50000", "203.0.113.45", "443", "tcp"]],
    )
    path = _write(tmp_path / "odd.log", "1763369999.0\tCy\n" + text)
    outcomes = parse_sample(path, expected_format="zeek-tsv")
    assert outcomes[0]["quarantine"]["reason"].startswith("data line before any #fields")
    assert outcomes[1]["quarantine"]["reason"].startswith("#types declares 6 types for 7")
    row = outcomes[2]["row"]  # read as text, still mapped
    assert row["dst_endpoint.port"] == 443 and row["time"] == "2025-11-17T09:00:00.500000+00:00"


# ----------------------------------------------------- header handling / framing


def test_declared_separators_and_markers_are_honoured(tmp_path: Path) -> None:
    fields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "cookie"]
    fields += ["client_channels", "keyboard_layout", "client_name"]
    types = ["time", "string", "addr", "port", "addr", "port", "string"]
    types += ["vector[string]", "string", "string"]
    conn = ["203.0.113.66", "61442", "10.10.5.21", "3389"]
    text = _tsv(
        "rdp",
        fields,
        types,
        [
            ["1763370000.25", "Cz1", *conn, "\\x2d", "rdpdr;cliprdr", "NONE", "A\\x7cB"],
            ["1763370001.25", "Cz2", *conn, "NONE", "EMPTY", "Korean", "EMPTY"],
        ],
        sep="|",
        header=("\\x7c", ";", "EMPTY", "NONE"),
    )
    rows = _rows(_write(tmp_path / "custom.log", text))
    first, second = rows
    assert first["identifier_cookie"] == "-"  # an escaped '-' is text, not unset
    assert first["unmapped"]["client_channels"] == ["rdpdr", "cliprdr"]
    assert "keyboard_info.keyboard_layout" not in first  # NONE is the unset marker here
    assert first["src_endpoint.hostname"] == "A|B"
    assert "identifier_cookie" not in second
    assert second["unmapped"]["client_channels"] == []
    assert second["keyboard_info.keyboard_layout"] == "Korean"


def test_concatenated_header_blocks_each_use_their_own_fields() -> None:
    outcomes = _outcomes(SAMPLES / "conn-concatenated.log")
    assert all("row" in o for o in outcomes)
    rows = [o["row"] for o in outcomes]
    assert [r["raw_source.record"] for r in rows] == [9, 10, 20, 21]
    assert "ip_proto" not in rows[0]["unmapped"]  # Zeek 5 block
    assert rows[2]["unmapped"]["ip_proto"] == 17  # Zeek 7 block


def test_unescape_keeps_bytes_that_are_not_utf8_visible() -> None:
    assert unescape("a\\x09b") == "a\tb"
    assert unescape("G\\xc3\\xb6ppingen") == "Göppingen"
    assert unescape("bad\\xffbyte") == "bad\\xffbyte"
    assert unescape("C:\\Users\\x") == "C:\\Users\\x"  # not an escape: left alone


# ------------------------------------------------- recognition by content only


def test_log_is_decided_by_content_not_file_name(tmp_path: Path) -> None:
    renamed = _write(tmp_path / "conn.log", (SAMPLES / "ssl.log").read_text())
    rows = _rows(renamed)
    assert {r["metadata.log_name"] for r in rows} == {"ssl"}
    assert all("tls.sni" in r or "tls.version" in r for r in rows)
    export = _write(tmp_path / "export.txt", (SAMPLES / "rdp.json").read_text())
    assert {o["table"] for o in parse_sample(export, "zeek-json") if "row" in o} == {"rdp_activity"}


def test_pathless_tsv_is_recognised_from_its_fields(tmp_path: Path) -> None:
    lines = (SAMPLES / "dns.log").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.startswith("#path")) + "\n"
    rows = _rows(_write(tmp_path / "x.log", text))
    assert {r["metadata.log_name"] for r in rows} == {"dns"}
    assert len(rows) == 9


def test_json_array_export_and_nested_id_are_read(tmp_path: Path) -> None:
    entries = [json.loads(line) for line in (SAMPLES / "conn.json").read_text().splitlines()]
    nested = [
        {
            **{k: v for k, v in e.items() if not k.startswith("id.")},
            "id": {k[3:]: v for k, v in e.items() if k.startswith("id.")},
        }
        for e in entries
    ]
    path = _write(tmp_path / "export.json", json.dumps(nested, indent=2))
    rows = _rows(path)
    assert len(rows) == len(entries)
    assert rows[0]["src_endpoint.ip"] == "10.20.4.17"
    assert rows[0]["metadata.log_name"] == "conn"


def test_rotated_gzip_log_with_zeekctl_name(tmp_path: Path) -> None:
    target = tmp_path / "conn.09:00:00-10:00:00.log.gz"
    shutil.copy(SAMPLES / "conn.09_00_00-10_00_00.log.gz", target)
    with gzip.open(target, "rt") as fh:
        assert fh.readline().startswith("#separator")
    rows = _rows(target)
    assert len(rows) == 6 and rows[0]["connection_info.uid"] == "CHhAvVGS1DHFjwGM9"


@pytest.mark.parametrize("other", OTHER_FAMILIES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_zeek_parsers_do_not_claim_other_sources(other: Path) -> None:
    sample = read_sample(str(other))
    assert ZeekTsvParser().sniff(sample) == 0.0
    assert ZeekJsonParser().sniff(sample) == 0.0


@pytest.mark.parametrize("sample_path", sorted(SAMPLES.iterdir()), ids=lambda p: p.name)
def test_zeek_samples_are_not_claimed_by_others(sample_path: Path) -> None:
    sample = read_sample(str(sample_path))
    mine = max(ZeekTsvParser().sniff(sample), ZeekJsonParser().sniff(sample))
    for parser in all_parsers().values():
        if parser.name not in ("zeek-tsv", "zeek-json"):
            assert parser.sniff(sample) < mine, parser.name


# ------------------------------------------------------------------ end to end


def test_end_to_end_into_the_store(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", create=True)
    results = ingest_paths(ws, [str(SAMPLES)])
    assert {r.format for r in results} == {"zeek-tsv", "zeek-json"}
    con = ws.connect()
    remote_access = con.execute(
        'select distinct "tls.sni" from network_activity '
        "where \"tls.sni\" like '%.anydesk.com' or \"tls.sni\" like '%teamviewer.com' "
        "order by 1"
    ).fetchall()
    assert remote_access == [
        ("login.teamviewer.com",),
        ("master16.teamviewer.com",),
        ("relay-2b8c1f3e.net.anydesk.com",),
        ("relay-5d41c0aa.net.anydesk.com",),
        ("relay-7f0a11c2.net.anydesk.com",),
    ]
    korean = con.execute(
        'select distinct "src_endpoint.ip", "user.name", "src_endpoint.hostname" '
        "from rdp_activity where \"keyboard_info.keyboard_layout\" = 'Korean'"
    ).fetchall()
    assert korean == [("185.220.101.47", "adm_kim", "DESKTOP-4F7QK2M")]
    rustdesk = con.execute(
        'select count(*) from network_activity where "dst_endpoint.port" in (21116, 21117) '
        "and \"metadata.log_name\" = 'conn' and \"raw_source.file\" like '%conn.log'"
    ).fetchone()
    assert rustdesk == (2,)
    products = con.execute(
        'select distinct "metadata.product.name" from network_activity'
    ).fetchall()
    assert products == [("Zeek",)]
    quarantined = con.execute("select count(*) from quarantine").fetchone()
    assert quarantined == (5 + 7 + 1,)  # bad TSV lines, bad JSON entries, partial w/o ts


def test_appended_tsv_lines_resume_after_the_header(tmp_path: Path) -> None:
    lines = (SAMPLES / "conn.log").read_text().splitlines(keepends=True)
    head, data = lines[:8], [line for line in lines[8:] if not line.startswith("#")]
    log = tmp_path / "logs" / "conn.log"
    log.parent.mkdir()
    log.write_text("".join(head + data[:4]))
    ws = Workspace(tmp_path / "ws", create=True)
    first = ingest_paths(ws, [str(log)])[0]
    assert (first.status, first.stored) == ("imported", 4)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write("".join(data[4:]))
    second = ingest_paths(ws, [str(log)])[0]
    assert (second.status, second.stored, second.rejected) == ("appended", len(data) - 4, 0)
    count = (
        ws.connect()
        .execute('select count(distinct "connection_info.uid") from network_activity')
        .fetchone()
    )
    assert count == (len(data),)


def test_header_without_separator_line_uses_zeek_defaults(tmp_path: Path) -> None:
    lines = (SAMPLES / "rdp.log").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.startswith("#separator")) + "\n"
    path = _write(tmp_path / "rdp-stripped.log", text)
    rows = _rows(path)
    assert len(rows) == 5 and rows[1]["keyboard_info.keyboard_layout"] == "Korean"
    assert parse_sample(path, expected_format="zeek-tsv")


def test_json_value_of_the_wrong_shape_names_its_field(tmp_path: Path) -> None:
    entry = json.loads((SAMPLES / "ssl-millis.json").read_text().splitlines()[0])
    path = _write(tmp_path / "ssl.json", json.dumps({**entry, "server_name": ["a", "b"]}))
    outcome = parse_sample(path, expected_format="zeek-json")[0]
    assert outcome["quarantine"]["reason"] == "server_name is a list, not text: \"['a', 'b']\""


# ------------------------------------------------- compiled readers vs generic path


def _lines(*lines: str) -> list[list[str]]:
    """Data lines written with spaces between fields (``~`` for a field of no text)."""
    return [["" if raw == "~" else raw for raw in line.split()] for line in lines]


TRICKY_CONN = _lines(
    # plain, ICMP, empty markers, escapes, unset ts, out-of-range ts, bad values
    "1763370012.418223 Ca1 10.0.0.1 52144 203.0.113.45 443 tcp ssl 1.5 10 20 SF T F 0 ShAD"
    " 3 400 4 500 (empty)",
    "1763370013.0 Ca2 10.0.0.1 8 203.0.113.45 0 icmp - - - - OTH T - 0 - 1 84 1 84 -",
    "1763370014.5 (empty) 10.0.0.2 1 ::1 2 (empty) (empty) 0.0004 0 0 (empty) F F 0 (empty)"
    " 0 0 0 0 a,-,b",
    "1763370015.25 C\\x09a3 10.0.0.3 3 10.0.0.4 4 tcp h\\xc3\\xb6 2 1 1 S0 T T 0 S\\x41"
    " 1 1 1 1 x\\x2cy",
    "- Ca4 10.0.0.3 3 10.0.0.4 4 tcp - - - - S0 - - - - - - - - -",
    "99999999999999999 Ca5 10.0.0.3 3 10.0.0.4 4 tcp - - - - S0 - - - - - - - - -",
    "1763370016 Ca6 10.0.0.3 70000 10.0.0.4 4 tcp - - - - S0 - - - - - - - - -",
    "1763370017 Ca7 10.0.0.3 3 10.0.0.4 4 tcp - inf - - S0 - - - - - - - - -",
    "1763370018 Ca8 10.0.0.3 3 10.0.0.4 4 tcp - - \u0661\u0662 - S0 - - - - - - - - -",
    "1763370019 Ca9 10.0.0.3 3 10.0.0.4 4 tcp -",
    "12.3 Ca10 10.0.0.3 3 10.0.0.4 4 tcp - - - - S0 - - - - - - - - -",  # relative time
    "253402300800.0 Ca11 10.0.0.3 3 10.0.0.4 4 tcp - - - - S0 - - - - - - - - -",  # year 10000
)
CONN_FIELDS = [
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes",
    "resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts",
    "orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents",
]
CONN_TYPES = [
    "time string addr port addr port enum string interval count count string bool bool",
    "count string count count count count set[string]",
]
TRICKY_DNS = _lines(
    "1762204763.9 Cd1 10.0.0.1 53491 10.0.0.53 53 udp 7 0.01 a.example 1 C_INTERNET 1 A 0"
    " NOERROR F F T T 0 1.2.3.4,-,5.6.7.8 60.0,- F",
    "1762204764.9 Cd2 10.0.0.1 53491 10.0.0.53 53 udp 7 - b.example 1 C_INTERNET 1 A 70000"
    " - F F T F 0 (empty) (empty) F",
    "1762204765.9 Cd3 10.0.0.1 53491 10.0.0.53 53 tcp 7 - c\\x2eexample - - - - - nxdomain"
    " - - - - - - - -",
)
DNS_FIELDS = [
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass",
    "qclass_name qtype qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected",
]
DNS_TYPES = [
    "time string addr port addr port enum count interval string count string count",
    "string count string bool bool bool bool count vector[string] vector[interval] bool",
]
TRICKY_SSL = _lines(
    "1762204763.9 Cs1 10.0.0.1 50000 1.1.1.1 443 TLSv13 - - x.example F - - T - (empty) (empty) T",
    "1762204764.9 Cs2 10.0.0.1 50000 1.1.1.1 443 - - - - - bad_record_mac - F - "
    + "ab" * 32
    + ",cd - -",
    "1762204765.9 Cs3 10.0.0.1 50000 1.1.1.1 443 ~ (empty) - - - - - - - " + "zz" * 20 + " - -",
)


SSL_FIELDS = [
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p version cipher curve server_name",
    "resumed last_alert next_protocol established ssl_history cert_chain_fps",
    "client_cert_chain_fps sni_matches_cert",
]
SSL_TYPES = [
    "time string addr port addr port string string string string bool string string",
    "bool string vector[string] vector[string] bool",
]


def _words(parts: list[str]) -> list[str]:
    return " ".join(parts).split()


def _tricky(tmp_path: Path) -> list[Path]:
    """Blocks that use the compiled readers, and blocks they must leave alone."""
    conn_f, conn_t = _words(CONN_FIELDS), _words(CONN_TYPES)
    dns_f, dns_t = _words(DNS_FIELDS), _words(DNS_TYPES)
    ssl_f, ssl_t = _words(SSL_FIELDS), _words(SSL_TYPES)
    reordered = [conn_f[i] for i in reversed(range(len(conn_f)))]
    blocks = [
        _tsv("conn", conn_f, conn_t, TRICKY_CONN),
        _tsv("conn_long", [*conn_f[:6], "extra"], [*conn_t[:6], "count"], [["1.5"] * 7]),
        _tsv(
            "conn",
            reordered,
            [conn_t[i] for i in reversed(range(len(conn_t)))],
            [list(reversed(line)) for line in TRICKY_CONN],
        ),
        _tsv("conn", conn_f, ["string"] * len(conn_f), TRICKY_CONN),  # untyped block
        _tsv("conn", conn_f, conn_t[:-1], TRICKY_CONN),  # #types that do not fit
        _tsv("dns", dns_f, dns_t, TRICKY_DNS),
        _tsv("dns", dns_f, [*dns_t[:-3], "string", *dns_t[-2:]], TRICKY_DNS),
        _tsv("ssl", ssl_f, ssl_t, TRICKY_SSL),
        _tsv("ssl", ssl_f[1:], ssl_t[1:], [line[1:] for line in TRICKY_SSL]),  # no ts
        _tsv(None, conn_f, conn_t, TRICKY_CONN),  # no #path: recognised per line
        _tsv("conn", conn_f, conn_t, TRICKY_CONN, header=("\\x09", ";", "EMPTY", "UNSET")),
    ]
    paths = [_write(tmp_path / f"block{i}.log", text) for i, text in enumerate(blocks)]
    paths.append(_write(tmp_path / "all.log", "".join(blocks)))
    return paths


def test_compiled_readers_store_and_reject_exactly_as_the_generic_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from farmhunt.sources.zeek import tsv

    samples = [p for p in sorted(SAMPLES.iterdir()) if _format(p) == "zeek-tsv"]
    samples += _tricky(tmp_path)
    compiled = [parse_sample(p, "zeek-tsv") for p in samples]
    built = []
    real = tsv.Header.reader

    def counting(header: tsv.Header) -> Any:
        reader = real(header)
        if reader is not None:
            built.append(header.path)
        return reader

    monkeypatch.setattr(tsv.Header, "reader", counting)
    parse_sample(samples[-1], "zeek-tsv")
    assert {"conn", "dns", "ssl"} <= set(built)  # the fast path was taken at all
    monkeypatch.setattr(tsv.Header, "reader", lambda header: None)
    generic = [parse_sample(p, "zeek-tsv") for p in samples]
    for path, fast, slow in zip(samples, compiled, generic, strict=True):
        assert fast == slow, path.name
    quarantined = [o for o in compiled[-1] if "quarantine" in o]
    assert len(quarantined) >= 8  # the bad lines above are among those compared
