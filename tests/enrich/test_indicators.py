"""Indicator lists: parsing with file:line errors, and matching that scales."""

from __future__ import annotations

import ipaddress
import random
import time
from pathlib import Path

import pytest

from farmhunt.enrich.indicators import (
    INDICATOR_FILES,
    CidrSet,
    DomainSet,
    IndicatorError,
    PrefixSet,
    ProviderNames,
    load_indicators,
)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_list_is_read_with_comments_and_blank_lines(tmp_path: Path) -> None:
    intel = tmp_path / "intel"
    write(intel, "vpn_cidrs.txt", "# Astrill exits seen in the incident\n\n185.156.46.0/24\n"
          "203.0.113.7   # one host\n2001:db8:5::/48\n")  # fmt: skip
    write(intel, "vpn_asns.txt", "AS60068\n9009\nas39351\n")
    write(intel, "vpn_providers.txt", "Datacamp\nM247\n")
    write(intel, "domains.txt", "*.relay.example.net\nfacilitator.example.org.\n")
    write(intel, "tools.txt", "AnyDesk\n  Chrome   Remote Desktop \n")
    write(intel, "anydesk_ids.txt", "123 456 789\nbobfarm@ad\n")
    write(intel, "voip_prefixes.txt", "+1 (415) 555\n+44 56\n")
    write(intel, "emails.txt", "Recruiter@Example.org\n")
    write(intel, "README.md", "not a list: left alone\n")
    ind = load_indicators([intel])
    assert ind.counts() == {
        "vpn_cidrs": 3,
        "vpn_asns": 3,
        "vpn_providers": 2,
        "domains": 2,
        "tools": 2,
        "anydesk_ids": 2,
        "voip_prefixes": 2,
        "emails": 1,
    }
    hit = ind.vpn_cidrs.lookup("185.156.46.200")
    assert hit == (ipaddress.ip_network("185.156.46.0/24"), "intel/vpn_cidrs.txt:3")
    assert ind.vpn_cidrs.lookup("203.0.113.7") == (
        ipaddress.ip_network("203.0.113.7/32"),
        "intel/vpn_cidrs.txt:4",
    )
    assert ind.vpn_cidrs.lookup("203.0.113.8") is None
    assert ind.vpn_cidrs.lookup("2001:db8:5:1::9") is not None
    assert set(ind.vpn_asns) == {60068, 9009, 39351}
    assert ind.vpn_asns[9009] == "intel/vpn_asns.txt:2"
    assert ind.tools.lookup("chrome remote desktop") == "intel/tools.txt:2"
    assert ind.anydesk_ids.lookup("123456789", normalize=lambda v: v) == "intel/anydesk_ids.txt:1"
    assert ind.voip_prefixes.lookup("+14155550134") == ("+1415555", "intel/voip_prefixes.txt:1")
    assert ind.emails.lookup("recruiter@example.org") == "intel/emails.txt:1"
    assert ind.domains.lookup("FACILITATOR.example.org") is not None
    assert len(ind.files) == 8


def test_lists_from_several_folders_are_merged(tmp_path: Path) -> None:
    write(tmp_path / "a", "vpn_cidrs.txt", "198.51.100.0/24\n")
    write(tmp_path / "b", "vpn_cidrs.txt", "192.0.2.0/24\n")
    single = write(tmp_path / "c", "tools.txt", "AnyDesk\n")
    ind = load_indicators([tmp_path / "a", tmp_path / "b", single])
    assert ind.vpn_cidrs.lookup("198.51.100.1") is not None
    assert ind.vpn_cidrs.lookup("192.0.2.1") is not None
    assert ind.tools.lookup("anydesk") == "c/tools.txt:1"


def test_no_paths_gives_empty_lists() -> None:
    ind = load_indicators([])
    assert all(n == 0 for n in ind.counts().values())
    assert ind.vpn_cidrs.lookup("185.156.46.1") is None


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("vpn_cidrs.txt", "185.156.46.0/33", "'185.156.46.0/33' is not an IP address or CIDR"),
        (
            "vpn_cidrs.txt",
            "185.156.46.9/24",
            "'185.156.46.9/24' has host bits set; did you mean 185.156.46.0/24?",
        ),
        ("vpn_asns.txt", "ASX60068", "'ASX60068' is not an AS number"),
        ("vpn_asns.txt", "AS0", "'AS0' is not an AS number"),
        ("domains.txt", "not a domain", "'not a domain' is not a domain name"),
        ("domains.txt", "localhost", "'localhost' is not a domain name"),
        ("anydesk_ids.txt", "12345", "'12345' is not an AnyDesk id"),
        ("voip_prefixes.txt", "4155550134", "'4155550134' is not an E.164 prefix"),
        ("voip_prefixes.txt", "+1 415 555 0134 9999 9999", "is not an E.164 prefix"),
        ("emails.txt", "bob at example.org", "'bob at example.org' is not an email address"),
    ],
)
def test_a_bad_value_is_reported_with_file_and_line(
    tmp_path: Path, name: str, line: str, message: str
) -> None:
    path = write(tmp_path, name, f"# header\n\n{line}\n")
    with pytest.raises(IndicatorError) as caught:
        load_indicators([tmp_path])
    assert len(caught.value.problems) == 1
    problem = caught.value.problems[0]
    assert problem.startswith(f"{path}:3: ")
    assert message in problem


def test_every_bad_line_of_every_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "vpn_cidrs.txt", "1.2.3.0/24\nbad\n5.6.7.0/24\nworse\n")
    write(tmp_path, "vpn_asns.txt", "AS1\nASN2\n")
    with pytest.raises(IndicatorError) as caught:
        load_indicators([tmp_path])
    lines = [p.split(": ", 1)[0].rsplit("/", 1)[-1] for p in caught.value.problems]
    assert lines == ["vpn_asns.txt:2", "vpn_cidrs.txt:2", "vpn_cidrs.txt:4"]


def test_a_misspelt_list_name_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "vpn_cidr.txt", "185.156.46.0/24\n")
    with pytest.raises(IndicatorError, match=r"did you mean vpn_cidrs\.txt\?"):
        load_indicators([tmp_path])


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IndicatorError, match="no such folder or file"):
        load_indicators([tmp_path / "nope"])


def test_documented_file_names_are_the_read_ones() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    text = docs.read_text(encoding="utf-8")
    for name in INDICATOR_FILES:
        assert f"`{name}`" in text, name


# -- matching -----------------------------------------------------------------------------


def test_cidr_set_returns_the_most_specific_range() -> None:
    nets = CidrSet(
        [
            (ipaddress.ip_network("10.0.0.0/8"), "big"),
            (ipaddress.ip_network("10.1.0.0/16"), "mid"),
            (ipaddress.ip_network("10.1.2.0/24"), "small"),
            (ipaddress.ip_network("10.1.2.0/24"), "duplicate"),
            (ipaddress.ip_network("10.200.0.0/16"), "sibling"),
        ]
    )
    assert nets.lookup("10.1.2.3") == (ipaddress.ip_network("10.1.2.0/24"), "small")
    assert nets.lookup("10.1.3.3") == (ipaddress.ip_network("10.1.0.0/16"), "mid")
    # after a nested block ends, the enclosing one still answers
    assert nets.lookup("10.150.0.1") == (ipaddress.ip_network("10.0.0.0/8"), "big")
    assert nets.lookup("10.200.9.9") == (ipaddress.ip_network("10.200.0.0/16"), "sibling")
    assert nets.lookup("11.0.0.0") is None
    assert nets.lookup("::ffff:10.1.2.3") is not None  # IPv4-mapped IPv6
    assert nets.lookup("not an ip") is None
    assert "10.1.2.3" in nets and "9.9.9.9" not in nets


def test_cidr_set_at_scale_agrees_with_brute_force() -> None:
    rng = random.Random(20251103)
    networks = []
    for i in range(50_000):
        if i % 10 == 0:
            prefix = rng.randint(32, 64)
            bits = rng.getrandbits(prefix) << (128 - prefix)
            networks.append(ipaddress.IPv6Network((bits, prefix)))
        else:
            prefix = rng.choice([8, 12, 16, 20, 22, 24, 24, 24, 28, 32])
            bits = rng.getrandbits(prefix) << (32 - prefix)
            networks.append(ipaddress.IPv4Network((bits, prefix)))
    started = time.perf_counter()
    nets = CidrSet((n, str(i)) for i, n in enumerate(networks))
    # probes: inside chosen networks, and random ones
    probes: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for n in rng.sample(networks, 1_000):
        probes.append(n.network_address + rng.randrange(n.num_addresses))
    probes += [ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(1_000)]
    answers = [nets.lookup(p) for p in probes]
    elapsed = time.perf_counter() - started
    # Oracle, by another method: mask the probe to every prefix length and look the
    # block up in a hash set.
    listed = {(n.version, int(n.network_address), n.prefixlen) for n in networks}
    for probe, answer in zip(probes, answers, strict=True):
        bits = 32 if probe.version == 4 else 128
        value = int(probe)
        longest = next(
            (
                p
                for p in range(bits, -1, -1)
                if (probe.version, (value >> (bits - p)) << (bits - p), p) in listed
            ),
            None,
        )
        if longest is None:
            assert answer is None
        else:
            assert answer is not None
            assert answer[0].prefixlen == longest
            assert probe in answer[0]
    assert len(nets) == 50_000
    assert elapsed < 10, f"50k ranges + 2k lookups took {elapsed:.1f}s"


def test_domain_set_wildcards() -> None:
    domains = DomainSet([("*.relay.example.net", "l1"), ("example.org", "l2")])
    assert domains.lookup("a.relay.example.net") == ("*.relay.example.net", "l1")
    assert domains.lookup("x.y.relay.example.net.") == ("*.relay.example.net", "l1")
    assert domains.lookup("relay.example.net") is None  # the wildcard is for names under it
    assert domains.lookup("EXAMPLE.org") == ("example.org", "l2")
    assert domains.lookup("www.example.org") is None
    assert domains.lookup("notexample.org") is None


def test_prefix_set_prefers_the_longest_prefix() -> None:
    prefixes = PrefixSet([("1", "country"), ("1415555", "block"), ("14155550134", "number")])
    assert prefixes.lookup("+14155550134") == ("+14155550134", "number")
    assert prefixes.lookup("+14155550135") == ("+1415555", "block")
    assert prefixes.lookup("+12125550100") == ("+1", "country")
    assert PrefixSet([("44", "gb")]).lookup("+14155550134") is None


def test_provider_names_match_whole_words() -> None:
    names = ProviderNames([("Datacamp", "l1"), ("M247", "l2"), ("xTom GmbH", "l3")])
    assert names.lookup("Datacamp Limited") == ("Datacamp", "l1")
    assert names.lookup("M247 Europe SRL") == ("M247", "l2")
    assert names.lookup("XTOM GMBH") == ("xTom GmbH", "l3")
    assert names.lookup("Datacampus SAS") is None  # a word, not a substring
    assert names.lookup("xTom") is None
    assert names.lookup(None) is None
