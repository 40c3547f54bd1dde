"""User-supplied indicator lists: plain text files, one value a line.

An analyst keeps what threat reports, a vendor feed or an earlier investigation named
(VPN exit ranges, facilitator domains, AnyDesk ids, VoIP number blocks …) in a folder
given by ``indicators.paths`` in ``farmhunt.yaml``. The file's name says what it holds
(:data:`INDICATOR_FILES`); in every file ``#`` starts a comment and blank lines are
ignored. Each value is validated, and every bad value is reported as ``file:line``.

Matching is built for large lists: address ranges go into a sorted interval index
(:class:`CidrSet`, a binary search and a short walk up the enclosing ranges per lookup),
phone prefixes and domains into hash lookups by prefix and by suffix.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from farmhunt.suggest import closest

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class IndicatorError(ValueError):
    """Indicator files that cannot be used; ``problems`` are ``file:line: why`` lines."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:20]
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__("; ".join(shown) + more)


# -- the index structures -------------------------------------------------------------


class CidrSet:
    """IP ranges, each with a label, answering "which most specific range holds this IP".

    CIDR blocks either nest or do not touch, so after sorting by (start, -end) every
    block's enclosing blocks form a chain: a lookup bisects to the last block starting at
    or before the address and walks up that chain (at most one step per prefix length).
    """

    def __init__(self, entries: Iterable[tuple[IPNetwork, str]] = ()) -> None:
        by_version: dict[int, list[tuple[int, int, IPNetwork, str]]] = {4: [], 6: []}
        for network, label in entries:
            by_version[network.version].append(
                (int(network.network_address), int(network.broadcast_address), network, label)
            )
        self._index = {v: _Intervals(items) for v, items in by_version.items()}
        self._size = sum(len(items) for items in by_version.values())

    def __len__(self) -> int:
        return self._size

    def lookup(self, ip: str | IPAddress) -> tuple[IPNetwork, str] | None:
        """The most specific range holding ``ip`` and its label, or None."""
        address = _address(ip)
        if address is None or not self._size:
            return None
        return self._index[address.version].find(int(address))

    def __contains__(self, ip: object) -> bool:
        return isinstance(ip, str | ipaddress.IPv4Address | ipaddress.IPv6Address) and (
            self.lookup(ip) is not None
        )


class _Intervals:
    def __init__(self, items: list[tuple[int, int, IPNetwork, str]]) -> None:
        # Equal blocks keep the first listed one last, where the bisection lands.
        order = sorted(range(len(items)), key=lambda i: (items[i][0], -items[i][1], -i))
        items = [items[i] for i in order]
        self.starts = [t[0] for t in items]
        self.ends = [t[1] for t in items]
        self.values = [(t[2], t[3]) for t in items]
        self.parent = [-1] * len(items)
        stack: list[int] = []
        for i, (start, _end, _n, _l) in enumerate(items):
            while stack and self.ends[stack[-1]] < start:
                stack.pop()
            if stack:
                self.parent[i] = stack[-1]
            stack.append(i)

    def find(self, value: int) -> tuple[IPNetwork, str] | None:
        i = bisect.bisect_right(self.starts, value) - 1
        while i >= 0:
            if self.ends[i] >= value:
                return self.values[i]
            i = self.parent[i]
        return None


class PrefixSet:
    """E.164 number prefixes (digits after the ``+``), each with a label; longest wins."""

    def __init__(self, entries: Iterable[tuple[str, str]] = ()) -> None:
        self._prefixes: dict[str, str] = {}
        for prefix, label in entries:
            self._prefixes.setdefault(prefix, label)
        self._lengths = sorted({len(p) for p in self._prefixes}, reverse=True)

    def __len__(self) -> int:
        return len(self._prefixes)

    def lookup(self, e164: str) -> tuple[str, str] | None:
        """The longest listed prefix of the number (``+14155550134``) and its label."""
        digits = re.sub(r"\D", "", e164)
        for length in self._lengths:
            if length <= len(digits):
                label = self._prefixes.get(digits[:length])
                if label is not None:
                    return "+" + digits[:length], label
        return None


class DomainSet:
    """Domains: ``example.com`` matches exactly that name, ``*.example.com`` any name
    under it (not ``example.com`` itself)."""

    def __init__(self, entries: Iterable[tuple[str, str]] = ()) -> None:
        self._exact: dict[str, str] = {}
        self._suffix: dict[str, str] = {}
        for pattern, label in entries:
            if pattern.startswith("*."):
                self._suffix.setdefault(pattern[2:], label)
            else:
                self._exact.setdefault(pattern, label)

    def __len__(self) -> int:
        return len(self._exact) + len(self._suffix)

    def patterns(self) -> list[tuple[str, str]]:
        """Every listed pattern (``example.com``, ``*.example.com``) with its label."""
        return sorted(
            [*self._exact.items(), *((f"*.{s}", label) for s, label in self._suffix.items())]
        )

    def lookup(self, name: str) -> tuple[str, str] | None:
        """The listed pattern ``name`` falls under and its label, or None."""
        host = name.strip().lower().rstrip(".")
        if host in self._exact:
            return host, self._exact[host]
        labels = host.split(".")
        for i in range(1, len(labels)):
            suffix = ".".join(labels[i:])
            if suffix in self._suffix:
                return "*." + suffix, self._suffix[suffix]
        return None


class NameSet:
    """Values compared after :func:`normalize_name` (tools, AnyDesk ids, emails)."""

    def __init__(self, entries: Iterable[tuple[str, str]] = ()) -> None:
        self._names: dict[str, str] = {}
        for value, label in entries:
            self._names.setdefault(value, label)

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def items(self) -> list[tuple[str, str]]:
        """Every listed value (normalized) with its label."""
        return sorted(self._names.items())

    def lookup(self, value: str, normalize: Callable[[str], str] | None = None) -> str | None:
        """The label of ``value`` when listed."""
        key = (normalize or normalize_name)(value)
        return self._names.get(key)


class ProviderNames:
    """Provider names matched as whole words inside an ASN organisation name:
    ``Datacamp`` matches ``Datacamp Limited``, ``M247`` matches ``M247 Europe SRL``."""

    def __init__(self, entries: Iterable[tuple[str, str]] = ()) -> None:
        self._names = [(f" {_words(name)} ", name, label) for name, label in entries]

    def __len__(self) -> int:
        return len(self._names)

    def lookup(self, org: str | None) -> tuple[str, str] | None:
        """The listed provider name found in ``org`` and its label, or None."""
        if not org or not self._names:
            return None
        words = f" {_words(org)} "
        for key, name, label in self._names:
            if key in words:
                return name, label
        return None


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def normalize_name(value: str) -> str:
    """Tool and provider names compare case-insensitively with spacing collapsed."""
    return " ".join(value.lower().split())


def normalize_anydesk(value: str) -> str:
    """AnyDesk ids are shown grouped (``123 456 789``); compare the digits."""
    stripped = re.sub(r"[\s-]", "", value)
    return stripped.lower()


def _address(ip: str | IPAddress) -> IPAddress | None:
    if not isinstance(ip, str):
        return ip
    try:
        address = ipaddress.ip_address(ip.strip().strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


# -- the files ------------------------------------------------------------------------


def _cidr(text: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        if "host bits set" in str(exc):
            fixed = ipaddress.ip_network(text, strict=False)
            raise ValueError(f"{text!r} has host bits set; did you mean {fixed}?") from None
        raise ValueError(f"{text!r} is not an IP address or CIDR") from None


_ASN = re.compile(r"^(?:AS)?(\d{1,10})$", re.IGNORECASE)


def _asn(text: str) -> int:
    match = _ASN.match(text)
    number = int(match.group(1)) if match else 0
    if not match or not 0 < number < 2**32:
        raise ValueError(f"{text!r} is not an AS number (AS60068 or 60068)")
    return number


_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _domain(text: str) -> str:
    name = text.lower().rstrip(".")
    bare = name[2:] if name.startswith("*.") else name
    labels = bare.split(".")
    if len(bare) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{text!r} is not a domain name (example.com or *.example.com)")
    return name


def _name(text: str) -> str:
    return normalize_name(_provider(text))


def _provider(text: str) -> str:
    if len(text) > 200:
        raise ValueError("longer than 200 characters")
    if not re.search(r"[A-Za-z0-9]", text):
        raise ValueError(f"{text!r} has no letters or digits to match")
    return " ".join(text.split())


_ANYDESK_ID = re.compile(r"^\d{9,10}$")
_ANYDESK_ALIAS = re.compile(r"^[a-z0-9._-]+@[a-z0-9._-]+$")


def _anydesk(text: str) -> str:
    value = normalize_anydesk(text)
    if not (_ANYDESK_ID.match(value) or _ANYDESK_ALIAS.match(value)):
        raise ValueError(f"{text!r} is not an AnyDesk id (9 or 10 digits) or alias (name@ad)")
    return value


_PHONE_PREFIX = re.compile(r"^\+\d{1,15}$")


def _phone_prefix(text: str) -> str:
    compact = re.sub(r"[\s().-]", "", text)
    if not _PHONE_PREFIX.match(compact):
        raise ValueError(f"{text!r} is not an E.164 prefix (+ then 1 to 15 digits, +1415555)")
    return compact[1:]


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(text: str) -> str:
    if not _EMAIL.match(text):
        raise ValueError(f"{text!r} is not an email address")
    return text.lower()


@dataclass(frozen=True)
class IndicatorFile:
    """One kind of list: its file name, what it holds, how a line is read."""

    name: str
    field: str
    holds: str
    parse: Callable[[str], object]


INDICATOR_FILES: dict[str, IndicatorFile] = {
    f.name: f
    for f in [
        IndicatorFile(
            "vpn_cidrs.txt",
            "vpn_cidrs",
            "VPN / proxy exit addresses and ranges (203.0.113.7, 203.0.113.0/24, 2001:db8::/32)",
            _cidr,
        ),
        IndicatorFile(
            "vpn_asns.txt", "vpn_asns", "AS numbers of VPN / proxy providers (AS60068)", _asn
        ),
        IndicatorFile(
            "vpn_providers.txt",
            "vpn_providers",
            "VPN / proxy provider names, matched as words in the ASN organisation name",
            _provider,
        ),
        IndicatorFile(
            "domains.txt",
            "domains",
            "domains of interest (remote-access relays, facilitators): example.com, *.example.com",
            _domain,
        ),
        IndicatorFile("tools.txt", "tools", "remote-access tool names of interest", _name),
        IndicatorFile("anydesk_ids.txt", "anydesk_ids", "AnyDesk ids or aliases", _anydesk),
        IndicatorFile(
            "voip_prefixes.txt",
            "voip_prefixes",
            "E.164 prefixes (or whole numbers) of VoIP number blocks (+1415555)",
            _phone_prefix,
        ),
        IndicatorFile("emails.txt", "emails", "email addresses of interest", _email),
    ]
}
"""Every indicator file farmhunt reads, by file name."""


@dataclass(frozen=True)
class Indicators:
    """Every loaded list; each value's label is ``file:line`` (where it was listed)."""

    vpn_cidrs: CidrSet = field(default_factory=CidrSet)
    vpn_asns: dict[int, str] = field(default_factory=dict)
    vpn_providers: ProviderNames = field(default_factory=ProviderNames)
    domains: DomainSet = field(default_factory=DomainSet)
    tools: NameSet = field(default_factory=NameSet)
    anydesk_ids: NameSet = field(default_factory=NameSet)
    voip_prefixes: PrefixSet = field(default_factory=PrefixSet)
    emails: NameSet = field(default_factory=NameSet)
    files: tuple[Path, ...] = ()

    def counts(self) -> dict[str, int]:
        """How many values each list holds (for summaries)."""
        return {f.field: len(getattr(self, f.field)) for f in INDICATOR_FILES.values()}


def indicators_from_lists(lists: dict[str, list[str]], source: str = "inline") -> Indicators:
    """Indicators from values given in place of files (a rule's inline test), keyed by
    field (``domains``, ``tools`` …); each value is validated as a file's line would be,
    and labelled ``<source>/<file>:<n>``."""
    problems: list[str] = []
    by_field = {f.field: f for f in INDICATOR_FILES.values()}
    parsed: dict[str, list[tuple[object, str]]] = {f: [] for f in by_field}
    for key, values in lists.items():
        spec = by_field.get(key)
        if spec is None:
            problems.append(f"{key}: not an indicator list (known: {', '.join(sorted(by_field))})")
            continue
        for number, value in enumerate(values, start=1):
            try:
                parsed[key].append((spec.parse(str(value)), f"{source}/{spec.name}:{number}"))
            except ValueError as exc:
                problems.append(f"{key}[{number}]: {exc}")
    if problems:
        raise IndicatorError(problems)
    return _indicators(parsed, ())


def load_indicators(paths: Iterable[Path]) -> Indicators:
    """Read every indicator file in the given folders (or the given files).

    In a folder, files ending ``.txt`` must be named as in :data:`INDICATOR_FILES` (a
    misspelt name would silently hold nothing, so it is an error); other files (a
    README) are left alone. Raises :class:`IndicatorError` listing every bad line.
    """
    problems: list[str] = []
    values: dict[str, list[tuple[object, str]]] = {f.field: [] for f in INDICATOR_FILES.values()}
    files: list[Path] = []
    for path in paths:
        for file in _files_of(Path(path), problems):
            spec = INDICATOR_FILES[file.name]
            files.append(file)
            for value, label in _read(file, spec, problems):
                values[spec.field].append((value, label))
    if problems:
        raise IndicatorError(problems)
    return _indicators(values, tuple(files))


def _indicators(v: dict[str, list[tuple[object, str]]], files: tuple[Path, ...]) -> Indicators:
    return Indicators(
        vpn_cidrs=CidrSet(
            (n, lab)
            for n, lab in v["vpn_cidrs"]
            if isinstance(n, ipaddress.IPv4Network | ipaddress.IPv6Network)
        ),
        vpn_asns={a: lab for a, lab in reversed(v["vpn_asns"]) if isinstance(a, int)},
        vpn_providers=ProviderNames((str(n), lab) for n, lab in v["vpn_providers"]),
        domains=DomainSet((str(d), lab) for d, lab in v["domains"]),
        tools=NameSet((str(t), lab) for t, lab in v["tools"]),
        anydesk_ids=NameSet((str(a), lab) for a, lab in v["anydesk_ids"]),
        voip_prefixes=PrefixSet((str(p), lab) for p, lab in v["voip_prefixes"]),
        emails=NameSet((str(e), lab) for e, lab in v["emails"]),
        files=files,
    )


def _files_of(path: Path, problems: list[str]) -> list[Path]:
    if path.is_dir():
        found = []
        for file in sorted(path.iterdir()):
            if not file.is_file() or file.suffix.lower() != ".txt":
                continue
            if file.name in INDICATOR_FILES:
                found.append(file)
            else:
                problems.append(f"{file}: {_unknown_name(file.name)}")
        return found
    if path.is_file():
        if path.name in INDICATOR_FILES:
            return [path]
        problems.append(f"{path}: {_unknown_name(path.name)}")
        return []
    problems.append(f"{path}: no such folder or file")
    return []


def _unknown_name(name: str) -> str:
    close = closest(name, INDICATOR_FILES)
    hint = f"did you mean {close}? " if close else ""
    return f"not an indicator file name; {hint}(known: {', '.join(sorted(INDICATOR_FILES))})"


def _read(file: Path, spec: IndicatorFile, problems: list[str]) -> list[tuple[object, str]]:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{file}: cannot read: {exc}")
        return []
    out: list[tuple[object, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        label = f"{file.parent.name}/{file.name}:{number}"
        try:
            out.append((spec.parse(value), label))
        except ValueError as exc:
            problems.append(f"{file}:{number}: {exc}")
    return out
