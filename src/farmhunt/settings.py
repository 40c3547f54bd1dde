"""farmhunt's configuration: one YAML file, read into typed, frozen settings.

The file is ``farmhunt.yaml``: given with ``--config FILE``, else the one in the workspace
directory if there is one, else every setting has its default (an empty file is valid).
Every key is checked: a wrong type, a bad CIDR or date, or an unknown key is an error
that names the key (``network.corporate_egress[2]``), and an unknown key comes with a
"did you mean" suggestion. Relative paths are relative to the file's own directory.

Sections (``docs/configuration.md`` documents every key, with an example):

- ``network``: the company's own addresses (corporate egress, corporate VPN pools, extra
  private ranges), known venues and hotels, and optional MaxMind databases.
- ``indicators``: folders (or files) of user-supplied indicator lists.
- ``phone``: how roster phone numbers without a country code are read.
- ``allow``: approved remote-access tools, known travel, ignored addresses (read by
  detections and scoring).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml

from farmhunt.suggest import closest, kind_of
from farmhunt.yamlsafe import BoundedLoader, load

CONFIG_FILE = "farmhunt.yaml"
"""The configuration file's name inside a workspace directory."""

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
T = TypeVar("T")


class SettingsError(ValueError):
    """The configuration file cannot be used; ``problems`` name each key that is wrong."""

    def __init__(self, problems: list[str], source: Path | None = None) -> None:
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(problems))


# -- the settings --------------------------------------------------------------------


@dataclass(frozen=True)
class Venue:
    """A known shared network that is not a laptop farm: a conference venue, a hotel."""

    cidr: IPNetwork
    label: str


@dataclass(frozen=True)
class NetworkSettings:
    corporate_egress: tuple[IPNetwork, ...] = ()
    """Public ranges the company's offices and proxies reach the Internet from."""
    corporate_vpn_pools: tuple[IPNetwork, ...] = ()
    """Ranges the corporate VPN hands to connected laptops (often private addresses)."""
    private_ranges: tuple[IPNetwork, ...] = ()
    """Further ranges to treat as internal (public space used inside the company)."""
    venues: tuple[Venue, ...] = ()
    """Known venues and hotels: many people behind one address there is expected."""
    mmdb: tuple[Path, ...] = ()
    """MaxMind (or IPinfo) ``.mmdb`` country / ASN databases, preferred over the shipped data."""


@dataclass(frozen=True)
class IndicatorSettings:
    paths: tuple[Path, ...] = ()
    """Folders of indicator list files (or single list files); see docs/enrichment.md."""


@dataclass(frozen=True)
class PhoneSettings:
    default_region: str = "US"
    """Region for roster numbers written without a country code when the worker's
    country does not say."""


@dataclass(frozen=True)
class TravelEntry:
    """A worker known to be abroad: sign-ins from that country then are expected."""

    worker: str
    country: str
    start: date = field(metadata={"key": "from"})
    end: date = field(metadata={"key": "to"})


@dataclass(frozen=True)
class AllowSettings:
    remote_tools: tuple[str, ...] = ()
    """Remote-access tools the company approves (names as in the tool catalog)."""
    travel: tuple[TravelEntry, ...] = ()
    """Known travel."""
    ignore_ips: tuple[IPNetwork, ...] = ()
    """Addresses (or ranges) detections ignore."""


@dataclass(frozen=True)
class Settings:
    network: NetworkSettings = field(default_factory=NetworkSettings)
    indicators: IndicatorSettings = field(default_factory=IndicatorSettings)
    phone: PhoneSettings = field(default_factory=PhoneSettings)
    allow: AllowSettings = field(default_factory=AllowSettings)
    source: Path | None = field(default=None, metadata={"internal": True})
    """The file these settings were read from (None: defaults)."""

    def describe_source(self) -> str:
        return str(self.source) if self.source else "built-in defaults"


# -- loading ---------------------------------------------------------------------------


def find_config(config: Path | None = None, workspace: Path | None = None) -> Path | None:
    """The file to read: ``config`` if given, else ``workspace/farmhunt.yaml`` if present."""
    if config is not None:
        return config
    if workspace is not None and (workspace / CONFIG_FILE).is_file():
        return workspace / CONFIG_FILE
    return None


def load_settings(config: Path | None = None, workspace: Path | None = None) -> Settings:
    """Read the configuration (see :func:`find_config`); defaults when there is none."""
    path = find_config(config, workspace)
    if path is None:
        return Settings()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SettingsError(["configuration file not found"], path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError([f"cannot read the configuration file: {exc}"], path) from None
    return parse_settings(text, base_dir=path.parent, source=path)


def parse_settings(text: str, base_dir: Path | None = None, source: Path | None = None) -> Settings:
    """Parse and validate configuration text; relative paths resolve from ``base_dir``."""
    try:
        data = load(text, _StrictLoader)
    except (yaml.YAMLError, ValueError) as exc:
        raise SettingsError([f"not valid YAML: {exc}"], source) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SettingsError(["the file must be a mapping of sections (network:, allow: …)"], source)
    reader = _Reader(data, "", [], base_dir or Path.cwd())
    settings = Settings(
        network=reader.section("network", _network, NetworkSettings()),
        indicators=reader.section("indicators", _indicators, IndicatorSettings()),
        phone=reader.section("phone", _phone, PhoneSettings()),
        allow=reader.section("allow", _allow, AllowSettings()),
        source=source,
    )
    reader.finish("section")
    if reader.errors:
        raise SettingsError(reader.errors, source)
    return settings


class _StrictLoader(BoundedLoader):
    """SafeLoader that refuses a key given twice in one mapping (a silent override)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
# Dates stay text until the key's own parser reads them, so a bad date (2025-11-31) is
# reported against its key like any other bad value.
_StrictLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# -- sections -------------------------------------------------------------------------


def _network(r: _Reader) -> NetworkSettings:
    return NetworkSettings(
        corporate_egress=r.items("corporate_egress", _cidr),
        corporate_vpn_pools=r.items("corporate_vpn_pools", _cidr),
        private_ranges=r.items("private_ranges", _cidr),
        venues=r.records("venues", _venue),
        mmdb=r.items("mmdb", r.existing_file),
    )


def _venue(r: _Reader) -> Venue | None:
    cidr = r.required("cidr", _cidr)
    label = r.required("label", _text)
    if cidr is None or label is None:
        return None
    return Venue(cidr, label)


def _indicators(r: _Reader) -> IndicatorSettings:
    return IndicatorSettings(paths=r.items("paths", r.existing_path))


def _phone(r: _Reader) -> PhoneSettings:
    region = r.optional("default_region", _region)
    return PhoneSettings(default_region=region) if region else PhoneSettings()


def _allow(r: _Reader) -> AllowSettings:
    return AllowSettings(
        remote_tools=r.items("remote_tools", _text),
        travel=r.records("travel", _travel),
        ignore_ips=r.items("ignore_ips", _cidr),
    )


def _travel(r: _Reader) -> TravelEntry | None:
    worker = r.required("worker", _text)
    country = r.required("country", _country)
    start = r.required("from", _date)
    end = r.required("to", _date)
    if worker is None or country is None or start is None or end is None:
        return None
    if end < start:
        r.error("to", f"{end.isoformat()} is before from ({start.isoformat()})")
        return None
    return TravelEntry(worker, country, start, end)


# -- value parsers: each returns the value or raises ValueError saying what is wrong -----


def _text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {kind_of(value)}")
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _cidr(value: object) -> IPNetwork:
    text = _text(value)
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        if "host bits set" in str(exc):
            fixed = ipaddress.ip_network(text, strict=False)
            raise ValueError(f"{text!r} has host bits set; did you mean {fixed}?") from None
        raise ValueError(f"{text!r} is not an IP address or CIDR") from None


_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def _country(value: object) -> str:
    text = _text(value)
    if not _COUNTRY.match(text):
        raise ValueError(f"{text!r} is not an ISO 3166-1 alpha-2 country code (US, GB, DE …)")
    return text.upper()


def _region(value: object) -> str:
    import phonenumbers

    code = _country(value)
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{code!r} is not a region the phone number library knows")
    return code


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


# -- the reader: walks one mapping, remembering which keys were asked for ---------------


class _Reader:
    def __init__(self, data: object, path: str, errors: list[str], base_dir: Path) -> None:
        self.data: dict[Any, Any] = data if isinstance(data, dict) else {}
        self.path = path
        self.errors = errors
        self.base_dir = base_dir
        self.known: list[str] = []

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, message: str) -> None:
        self.errors.append(f"{self.key(name)}: {message}")

    def _take(self, name: str) -> object:
        self.known.append(name)
        return self.data.get(name)

    def section(self, name: str, build: Callable[[_Reader], T], default: T) -> T:
        value = self._take(name)
        if value is None:
            return default
        if not isinstance(value, dict):
            self.error(name, f"expected a mapping of settings, got {kind_of(value)}")
            return default
        sub = _Reader(value, self.key(name), self.errors, self.base_dir)
        result = build(sub)
        sub.finish("key")
        return result

    def optional(self, name: str, parse: Callable[[object], T]) -> T | None:
        value = self._take(name)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.error(name, str(exc))
            return None

    def required(self, name: str, parse: Callable[[object], T]) -> T | None:
        if self.data.get(name) is None:
            self._take(name)
            self.error(name, "is required")
            return None
        return self.optional(name, parse)

    def _list(self, name: str) -> Iterator[tuple[str, object]]:
        value = self._take(name)
        if value is None:
            return
        if not isinstance(value, list):
            value = [value]  # a single value where a list is expected
        for index, item in enumerate(value):
            yield f"{name}[{index}]", item

    def items(self, name: str, parse: Callable[[object], T]) -> tuple[T, ...]:
        out = []
        for key, item in self._list(name):
            try:
                out.append(parse(item))
            except ValueError as exc:
                self.errors.append(f"{self.key(key)}: {exc}")
        return tuple(out)

    def records(self, name: str, build: Callable[[_Reader], T | None]) -> tuple[T, ...]:
        out = []
        for key, item in self._list(name):
            if not isinstance(item, dict):
                self.errors.append(f"{self.key(key)}: expected a mapping, got {kind_of(item)}")
                continue
            sub = _Reader(item, self.key(key), self.errors, self.base_dir)
            record = build(sub)
            sub.finish("key")
            if record is not None:
                out.append(record)
        return tuple(out)

    def _path(self, value: object) -> Path:
        path = Path(os.path.expanduser(_text(value)))
        return path if path.is_absolute() else self.base_dir / path

    def existing_file(self, value: object) -> Path:
        path = self._path(value)
        if not path.is_file():
            raise ValueError(f"no such file: {path}")
        return path

    def existing_path(self, value: object) -> Path:
        path = self._path(value)
        if not path.exists():
            raise ValueError(f"no such folder or file: {path}")
        return path

    def finish(self, what: str) -> None:
        """Report every key nobody asked for, with the closest known key."""
        for raw in self.data:
            name = str(raw)
            if name in self.known:
                continue
            close = closest(name, self.known)
            hint = f"; did you mean {close!r}?" if close else ""
            known = ", ".join(self.known)
            self.errors.append(f"{self.key(name)}: unknown {what}{hint} (known: {known})")


# -- for documentation and tests ------------------------------------------------------


def setting_keys() -> list[str]:
    """Every configuration key as written in the file (``allow.travel[].from``)."""
    keys: list[str] = []

    def walk(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.metadata.get("internal"):
                continue
            key = f"{prefix}{f.metadata.get('key', f.name)}"
            keys.append(key)
            hint = hints[f.name]
            args = typing.get_args(hint)
            many = typing.get_origin(hint) is tuple and bool(args)
            inner = args[0] if many else hint
            if isinstance(inner, type) and dataclasses.is_dataclass(inner):
                walk(inner, key + ("[]." if many else "."))

    walk(Settings, "")
    return keys
