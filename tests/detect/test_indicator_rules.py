"""The analyst's indicator lists reach the rules: files named in the settings, through
the run's context, to the domain, tool and AnyDesk-id rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from farmhunt.detect.engine import make_context, run_rules
from farmhunt.detect.loader import RuleError, RuleSet, builtin_rules_dir, load_rules
from farmhunt.detect.testing import connection_with
from farmhunt.enrich.indicators import IndicatorError
from farmhunt.settings import IndicatorSettings, Settings

RULES = load_rules()
WANTED = (
    "network.indicator_domain",
    "endpoint.remote_access_tool_process",
    "endpoint.anydesk_id_listed",
)

TABLES = {
    "dns_activity": [{"device.hostname": "DNS-HOST", "query.hostname": "a.relay.example.net"}],
    "process_activity": [
        {"device.hostname": "TOOL-HOST", "process.file.name": "ShadowDesk.exe"},
        {
            "device.hostname": "ID-HOST",
            "process.file.name": "AnyDesk.exe",
            "process.cmd_line": "AnyDesk.exe 123456789",
        },
    ],
}


def _fired(settings: Settings | None) -> set[tuple[str, str]]:
    ctx = make_context(connection_with(TABLES), settings)
    rules = RuleSet(rules=[RULES.by_id(r) for r in WANTED])
    return {(f.rule.id, f.subject) for f in run_rules(ctx, rules)}


def test_lists_in_the_settings_folder_drive_the_rules(tmp_path: Path) -> None:
    intel = tmp_path / "intel"
    intel.mkdir()
    (intel / "domains.txt").write_text("*.relay.example.net  # from an advisory\n")
    (intel / "tools.txt").write_text("ShadowDesk\n")
    (intel / "anydesk_ids.txt").write_text("123 456 789\n")
    fired = _fired(Settings(indicators=IndicatorSettings(paths=(intel,))))
    assert fired == {
        ("network.indicator_domain", "DNS-HOST"),
        ("endpoint.remote_access_tool_process", "TOOL-HOST"),
        ("endpoint.anydesk_id_listed", "ID-HOST"),
        # AnyDesk itself is a remote-control tool whatever the lists say
        ("endpoint.remote_access_tool_process", "ID-HOST"),
    }
    finding = next(
        f
        for f in run_rules(
            make_context(
                connection_with(TABLES), Settings(indicators=IndicatorSettings(paths=(intel,)))
            ),
            RuleSet(rules=[RULES.by_id("network.indicator_domain")]),
        )
    )
    assert "intel/domains.txt:1" in finding.explanation


def test_without_lists_only_the_catalog_rules_fire() -> None:
    assert _fired(None) == {("endpoint.remote_access_tool_process", "ID-HOST")}


def test_a_bad_line_in_a_list_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "anydesk_ids.txt").write_text("12345\n")
    with pytest.raises(IndicatorError, match=r"anydesk_ids\.txt:1"):
        make_context(connection_with({}), Settings(indicators=IndicatorSettings(paths=(tmp_path,))))


def test_an_inline_test_with_a_bad_indicator_is_a_load_error(tmp_path: Path) -> None:
    source = builtin_rules_dir() / "endpoint" / "anydesk_id_listed.yml"
    path = tmp_path / "r.yml"
    path.write_text(
        source.read_text()
        .replace("id: endpoint.anydesk_id_listed", "id: x.copy")
        .replace("anydesk_ids: ['123 456 789']", "anydesk_ids: ['12']", 1)
    )
    with pytest.raises(RuleError, match="is not an AnyDesk id"):
        load_rules([path])
