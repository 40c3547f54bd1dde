"""Typed analytic parameters: a rule file's ``params`` are read into its analytic's
dataclass at load, so a misspelt or mistyped key fails with file:line instead of
leaving the default in force."""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.detect.analytics import params_class, registered
from farmhunt.detect.analytics.identity import TravelParams
from farmhunt.detect.loader import RuleError, load_rules
from farmhunt.detect.params import ParamError, build_params, describe, field_docs, params_of
from tests.ingest.helpers import ndjson, ocsf_event

RULES = load_rules()
runner = CliRunner()


def travel_rule(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped impossible-travel rule under another id, with one line changed."""
    text = (resources.files("farmhunt") / "rules/identity/impossible_travel.yml").read_text()
    assert old in text
    text = text.replace("id: identity.impossible_travel", "id: custom.impossible_travel")
    folder = tmp_path / "rules"
    folder.mkdir()
    path = folder / "travel.yml"
    path.write_text(text.replace(old, new))
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_a_misspelt_parameter_fails_the_load_with_its_line_and_the_key_meant(
    tmp_path: Path,
) -> None:
    path = travel_rule(tmp_path, "  max_kmh: 900 ", "  max_kmhh: 900")
    with pytest.raises(RuleError) as caught:
        load_rules([path.parent])
    (problem,) = caught.value.errors
    assert problem.startswith(f"{path}:{line_of(path, 'max_kmhh')}: unknown parameter 'max_kmhh'")
    assert "(did you mean 'max_kmh'?)" in problem


def test_a_mistyped_parameter_fails_the_load(tmp_path: Path) -> None:
    path = travel_rule(tmp_path, "  min_km: 500", "  min_km: far")
    with pytest.raises(RuleError) as caught:
        load_rules([path.parent])
    (problem,) = caught.value.errors
    assert problem == (
        f"{path}:{line_of(path, 'min_km: far')}: parameter 'min_km': expected a number, "
        "got str 'far'"
    )


def test_rules_validate_and_detect_refuse_a_typo_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = travel_rule(tmp_path, "  max_kmh: 900 ", "  max_kmhh: 900")
    where = f"{path}:{line_of(path, 'max_kmhh')}: unknown parameter 'max_kmhh'"
    validate = runner.invoke(app, ["rules", "validate", "--rules", str(path.parent)])
    assert validate.exit_code != 0
    assert where in validate.output
    monkeypatch.chdir(tmp_path)
    Path("lake.jsonl").write_text(ndjson([ocsf_event(i) for i in range(2)]))
    assert runner.invoke(app, ["ingest", "lake.jsonl", "-w", "ws"]).exit_code == 0
    detect = runner.invoke(app, ["detect", "-w", "ws", "--rules", str(path.parent)])
    assert detect.exit_code != 0
    assert where in detect.output


def test_the_shipped_rules_load_typed_parameters() -> None:
    travel = RULES.by_id("identity.impossible_travel")
    assert travel.typed_params == TravelParams(
        skip_kinds=("vpn", "hosting", "cloud", "mobile", "corporate", "venue", "business"),
        max_kmh=900.0,
        min_km=500.0,
        min_hops=1,
    )
    for rule in RULES.of_kind("analytic"):
        assert isinstance(rule.typed_params, params_class(rule.analytic or "")), rule.id


def test_every_analytic_documents_each_parameter() -> None:
    for name in registered():
        cls = params_class(name)
        assert cls is not None and dataclasses.is_dataclass(cls)
        assert cls.__dataclass_params__.frozen, name  # type: ignore[attr-defined]
        docs = field_docs(cls)
        for field in dataclasses.fields(cls):
            assert docs.get(field.name), f"{name}: {field.name} has no docstring"
        assert len(describe(cls)) == len(dataclasses.fields(cls))


def test_an_analytic_without_parameters_refuses_any() -> None:
    with pytest.raises(ParamError, match="unknown parameter 'window'; known: none"):
        build_params(params_class("indicator_domain_traffic") or object, {"window": 3})


def test_values_are_read_as_their_declared_types() -> None:
    p = build_params(TravelParams, {"max_kmh": 800, "skip_kinds": "vpn"})
    assert p.max_kmh == 800.0 and isinstance(p.max_kmh, float)
    assert p.skip_kinds == ("vpn",)
    with pytest.raises(ParamError, match="min_hops': expected a whole number, got bool"):
        build_params(TravelParams, {"min_hops": True})
    with pytest.raises(ParamError, match=r"skip_kinds': item 2: expected text"):
        build_params(TravelParams, {"skip_kinds": ["vpn", 3]})
    vpn = params_class("vpn_sign_ins") or object
    with pytest.raises(ParamError, match="'strongest' is not one of 'strong', 'weak'"):
        build_params(vpn, {"tier": "strongest"})
    spike = params_class("exfil_drive_download_spike") or object
    with pytest.raises(ParamError, match="is not a duration"):
        build_params(spike, {"window": "a day"})


def test_a_copy_with_other_params_reads_its_own() -> None:
    rule = RULES.by_id("identity.impossible_travel")
    copy = dataclasses.replace(rule, params={**rule.params, "max_kmh": 5})
    assert params_of(copy, TravelParams).max_kmh == 5.0
    assert params_of(rule, TravelParams).max_kmh == 900.0
    with pytest.raises(ParamError, match="did you mean 'max_kmh'"):
        params_of(dataclasses.replace(rule, params={"max_kmhh": 5}), TravelParams)


def test_docs_list_each_analytic_rules_parameters() -> None:
    from farmhunt.detect.docs import render_rules_markdown

    text = render_rules_markdown(RULES)
    assert "Parameters (analytic `impossible_travel`):" in text
    assert (
        "| `max_kmh` | number | `900.0` | `900.0` | Fastest believable travel between two "
        "sign-ins (an airliner's cruising speed). |"
    ) in text
    assert "Parameters (analytic `indicator_domain_traffic`): none." in text
