"""The configuration file: typed values, every mistake named by its key, documentation."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from datetime import date
from pathlib import Path

import pytest

from farmhunt.settings import (
    CONFIG_FILE,
    Settings,
    SettingsError,
    load_settings,
    parse_settings,
    setting_keys,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def problems(text: str, base: Path | None = None) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        parse_settings(text, base_dir=base)
    return caught.value.problems


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(None, tmp_path)
    assert settings == Settings()
    assert settings.network.corporate_egress == ()
    assert settings.phone.default_region == "US"
    assert settings.describe_source() == "built-in defaults"


def test_empty_file_is_valid() -> None:
    assert parse_settings("") == Settings()
    assert parse_settings("# nothing configured yet\n") == Settings()


def test_workspace_file_is_found_and_config_option_wins(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text("network: {corporate_egress: [198.51.100.0/24]}\n")
    other = tmp_path / "other.yaml"
    other.write_text("network: {corporate_egress: [192.0.2.0/24]}\n")
    from_ws = load_settings(None, tmp_path)
    assert from_ws.network.corporate_egress == (ipaddress.ip_network("198.51.100.0/24"),)
    assert from_ws.source == tmp_path / CONFIG_FILE
    chosen = load_settings(other, tmp_path)
    assert chosen.network.corporate_egress == (ipaddress.ip_network("192.0.2.0/24"),)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.yaml")


def test_full_file_is_typed(tmp_path: Path) -> None:
    (tmp_path / "intel").mkdir()
    (tmp_path / "GeoLite2-ASN.mmdb").write_bytes(b"")
    settings = parse_settings(
        """
network:
  corporate_egress: [12.130.0.0/21, 2001:db8:100::/48]
  corporate_vpn_pools: 10.8.0.0/13          # one value where a list is expected
  private_ranges: [44.0.0.0/9]
  venues:
    - {cidr: 4.20.0.0/16, label: Austin Convention Center}
  mmdb: GeoLite2-ASN.mmdb
indicators:
  paths: [intel]
phone:
  default_region: gb
allow:
  remote_tools: [TeamViewer, Zoom Rooms]
  travel:
    - {worker: E10042, country: gb, from: 2025-11-03, to: "2025-11-09"}
  ignore_ips: [192.0.2.10]
""",
        base_dir=tmp_path,
    )
    net = settings.network
    assert net.corporate_egress == (
        ipaddress.ip_network("12.130.0.0/21"),
        ipaddress.ip_network("2001:db8:100::/48"),
    )
    assert net.corporate_vpn_pools == (ipaddress.ip_network("10.8.0.0/13"),)
    assert net.venues[0].label == "Austin Convention Center"
    assert net.venues[0].cidr == ipaddress.ip_network("4.20.0.0/16")
    assert net.mmdb == (tmp_path / "GeoLite2-ASN.mmdb",)  # relative to the file's folder
    assert settings.indicators.paths == (tmp_path / "intel",)
    assert settings.phone.default_region == "GB"
    travel = settings.allow.travel[0]
    assert (travel.worker, travel.country) == ("E10042", "GB")
    assert (travel.start, travel.end) == (date(2025, 11, 3), date(2025, 11, 9))
    assert settings.allow.remote_tools == ("TeamViewer", "Zoom Rooms")
    assert settings.allow.ignore_ips == (ipaddress.ip_network("192.0.2.10/32"),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.network.corporate_egress = ()  # type: ignore[misc]


def test_unknown_keys_name_the_key_and_suggest() -> None:
    found = problems("network:\n  corprate_egress: [12.130.0.0/21]\nalow: {}\n")
    assert any(
        p.startswith("network.corprate_egress: unknown key; did you mean 'corporate_egress'?")
        for p in found
    )
    assert any(p.startswith("alow: unknown section; did you mean 'allow'?") for p in found)


def test_unknown_key_inside_a_list_item_names_its_index() -> None:
    found = problems("allow:\n  travel:\n    - {worker: E1, country: GB, from: 2025-01-01, "
                     "to: 2025-01-02, untill: 2025-01-03}\n")  # fmt: skip
    assert found[0].startswith("allow.travel[0].untill: unknown key")


def test_bad_values_name_the_key_and_every_problem_is_reported() -> None:
    found = problems(
        """
network:
  corporate_egress: [12.130.0.5/21, not-an-ip, 10.0.0.0/8]
  venues:
    - {cidr: 4.20.0.0/16}
    - just a string
phone: {default_region: XX}
allow:
  travel:
    - {worker: E1, country: Britain, from: 2025-11-09, to: 2025-11-03}
    - {worker: E2, country: GB, from: 2025-11-31, to: 2025-12-01}
"""
    )
    expected = [
        "network.corporate_egress[0]: '12.130.0.5/21' has host bits set; did you mean "
        "12.130.0.0/21?",
        "network.corporate_egress[1]: 'not-an-ip' is not an IP address or CIDR",
        "network.venues[0].label: is required",
        "network.venues[1]: expected a mapping, got str",
        "phone.default_region: 'XX' is not a region the phone number library knows",
        "allow.travel[0].country: 'Britain' is not an ISO 3166-1 alpha-2 country code",
        "allow.travel[1].from: '2025-11-31' is not a date (YYYY-MM-DD)",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in found), (start, found)
    assert len(found) == len(expected)


def test_travel_must_not_end_before_it_starts() -> None:
    found = problems(
        "allow:\n  travel:\n    - {worker: E1, country: GB, from: 2025-11-09, to: 2025-11-03}\n"
    )
    assert found == ["allow.travel[0].to: 2025-11-03 is before from (2025-11-09)"]


def test_wrong_shapes() -> None:
    assert problems("network: [1, 2]\n") == ["network: expected a mapping of settings, got a list"]
    assert "must be a mapping" in problems("- a\n- b\n")[0]
    assert problems("allow: {remote_tools: [{name: x}]}\n") == [
        "allow.remote_tools[0]: expected text, got a mapping"
    ]
    assert problems("allow: {remote_tools: ['  ']}\n") == [
        "allow.remote_tools[0]: must not be empty"
    ]


def test_a_key_given_twice_is_an_error() -> None:
    found = problems("network:\n  corporate_egress: [1.2.3.0/24]\n  corporate_egress: []\n")
    assert "given twice" in found[0]


def test_invalid_yaml_is_an_error_not_a_crash() -> None:
    assert problems("network: {corporate_egress: [\n")[0].startswith("not valid YAML")


def test_paths_must_exist(tmp_path: Path) -> None:
    found = problems("network: {mmdb: [missing.mmdb]}\nindicators: {paths: [lists]}\n", tmp_path)
    assert found[0] == f"network.mmdb[0]: no such file: {tmp_path / 'missing.mmdb'}"
    assert found[1] == f"indicators.paths[0]: no such folder or file: {tmp_path / 'lists'}"


def test_error_message_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "farmhunt.yaml"
    path.write_text("network: {corporate_egres: []}\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}: network.corporate_egres: unknown key")


def test_setting_keys_cover_nested_records() -> None:
    keys = setting_keys()
    assert "network.venues[].label" in keys
    assert "allow.travel[].from" in keys and "allow.travel[].to" in keys
    assert "source" not in keys  # internal


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [k for k in setting_keys() if f"`{k}`" not in text]
    assert not missing, f"docs/configuration.md does not document: {missing}"


def test_documented_example_is_valid(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, "docs/configuration.md has no yaml example"
    example = blocks[0]
    # The example names files next to it; create them so that the paths validate.
    for folder in re.findall(r"paths: \[([^\]]*)\]", example):
        for name in folder.split(","):
            (tmp_path / name.strip()).mkdir(parents=True, exist_ok=True)
    for name in re.findall(r"(\S+\.mmdb)", example):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    settings = parse_settings(example, base_dir=tmp_path)
    assert settings.network.corporate_egress
    assert settings.allow.travel
