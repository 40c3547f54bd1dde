"""YAML from outside (rules, configuration, HR column maps) cannot explode in memory.

The bomb is the classic "billion laughs" shape: nine levels, each listing the previous
level nine times, about 400 bytes that expand to 9**9 strings.
"""

from __future__ import annotations

import itertools
import resource
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from farmhunt.cli.app import app
from farmhunt.settings import SettingsError, parse_settings
from farmhunt.sources.hr.mapping import MappingError, load_column_map
from farmhunt.yamlsafe import MAX_EXPANDED_NODES, load

runner = CliRunner()

LEVELS = "abcdefghi"


def bomb(key: str = "laughs") -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in itertools.pairwise(LEVELS):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    lines.append(f"{key}: *i")
    return "\n".join(lines) + "\n"


def test_the_bomb_is_refused_before_it_is_walked() -> None:
    with pytest.raises(yaml.YAMLError, match="alias bomb"):
        load(bomb())


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(yaml.YAMLError, match="refers to the node that contains it"):
        load("a: &a [1, *a]\n")


def test_honest_anchors_and_large_plain_files_are_read() -> None:
    shared = load("base: &b [1, 2, 3]\nx: *b\ny: *b\n")
    assert shared == {"base": [1, 2, 3], "x": [1, 2, 3], "y": [1, 2, 3]}
    big = "values:\n" + "".join(f"  - v{i}\n" for i in range(MAX_EXPANDED_NODES + 10))
    assert len(load(big)["values"]) == MAX_EXPANDED_NODES + 10


@pytest.fixture
def bounded_memory() -> Iterator[None]:
    """At most 1 GiB more address space while the test runs: without the bound on
    aliases, the bomb fails the test with a MemoryError instead of taking the machine."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        in_use = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + (1 << 30), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.usefixtures("bounded_memory")
def test_rules_validate_refuses_a_bomb_rule_file(tmp_path: Path) -> None:
    rule = tmp_path / "bomb.yml"
    rule.write_text("title: laughs\n" + bomb("detection"))
    result = runner.invoke(app, ["rules", "validate", "-r", str(rule)])
    assert result.exit_code == 1, result.output
    assert "bomb.yml: YAML error: YAML aliases expand this document" in result.output


def test_an_empty_rule_file_is_an_error(tmp_path: Path) -> None:
    rule = tmp_path / "empty.yml"
    rule.write_text("# nothing here yet\n")
    result = runner.invoke(app, ["rules", "list", "-r", str(rule)])
    assert result.exit_code == 2, result.output
    assert "empty.yml: the file holds no rule" in result.output


@pytest.mark.usefixtures("bounded_memory")
def test_configuration_and_column_map_refuse_a_bomb(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="alias bomb"):
        parse_settings(bomb("allow"))
    mapping = tmp_path / "map.yaml"
    mapping.write_text(bomb("columns"))
    with pytest.raises(MappingError, match="alias bomb"):
        load_column_map(str(mapping))
