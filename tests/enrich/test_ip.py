"""IP classification: shipped data, special ranges, precedence, the simulator's networks."""

from __future__ import annotations

import csv
import ipaddress
import random
from pathlib import Path

import pytest

from farmhunt.enrich.indicators import load_indicators
from farmhunt.enrich.ip import (
    KINDS,
    PROVIDER_KINDS,
    EnrichDataError,
    IpClassifier,
    load_providers,
    shipped_geo,
    shipped_providers,
)
from farmhunt.settings import parse_settings

SIM_NETWORKS = (
    Path(__file__).resolve().parents[2] / "src" / "farmhunt" / "simulate" / "data" / "networks.csv"
)


@pytest.fixture(scope="module")
def default() -> IpClassifier:
    return IpClassifier()


@pytest.mark.parametrize(
    ("ip", "country", "org", "kind"),
    [
        ("73.15.2.3", "US", "COMCAST-7922", "residential"),
        ("185.156.46.5", "US", "Datacamp Limited", "vpn"),
        ("172.58.1.1", "US", "T-MOBILE-AS21928", "mobile"),
        ("166.170.1.1", "US", "ATT-MOBILITY-LLC-AS20057", "mobile"),
        ("37.120.130.1", "CA", "M247 Europe SRL", "vpn"),
        ("45.14.71.1", "JP", "xTom", "hosting"),
        ("5.180.62.1", "DE", "Clouvider Limited", "hosting"),
        ("185.65.134.1", "NL", "31173 Services AB", "vpn"),
        ("4.20.1.1", "US", "LEVEL3", "business"),
        ("86.140.1.1", "GB", "British Telecommunications PLC", "residential"),
        ("123.112.1.1", "CN", "China Unicom Beijing Province Network", "residential"),
        ("2601:600::1", "US", "COMCAST-7922", "residential"),
        ("2001:4860:4860::8888", "US", "GOOGLE", "cloud"),
    ],
)
def test_shipped_data(default: IpClassifier, ip: str, country: str, org: str, kind: str) -> None:
    info = default.classify(ip)
    assert (info.country, info.asn_org, info.kind) == (country, org, kind)
    assert info.asn_cidr is not None and ipaddress.ip_address(ip) in ipaddress.ip_network(
        info.asn_cidr
    )
    assert org in info.reason and "providers.csv:" in info.reason


@pytest.mark.parametrize(
    ("ip", "kind"),
    [
        ("10.20.30.40", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.20", "private"),
        ("100.64.0.1", "cgnat"),
        ("100.127.255.254", "cgnat"),
        ("127.0.0.1", "loopback"),
        ("169.254.10.1", "link_local"),
        ("224.0.0.251", "multicast"),
        ("0.0.0.0", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.44", "reserved"),
        ("198.51.100.7", "reserved"),
        ("203.0.113.9", "reserved"),
        ("198.18.0.1", "reserved"),
        ("::1", "loopback"),
        ("fe80::1%eth0", "link_local"),
        ("fd12:3456::1", "private"),
        ("ff02::fb", "multicast"),
        ("2001:db8::1", "reserved"),
        ("::", "reserved"),
        ("[::1]", "loopback"),
        ("::ffff:192.168.1.1", "private"),
    ],
)
def test_special_ranges(default: IpClassifier, ip: str, kind: str) -> None:
    info = default.classify(ip)
    assert info.kind == kind
    assert info.country is None and info.asn_org is None
    assert info.reason


def test_100_63_is_not_cgnat(default: IpClassifier) -> None:
    assert default.classify("100.63.255.1").kind not in ("cgnat", "private")


@pytest.mark.parametrize(
    "junk", ["", "-", "unknown", "1.2.3", "1.2.3.256", "999.1.1.1", "::g", "x" * 5000, "10.0.0.1\n"]
)
def test_junk_is_invalid_never_an_exception(default: IpClassifier, junk: str) -> None:
    info = default.classify(junk)
    if junk == "10.0.0.1\n":
        assert info.kind == "private"  # surrounding whitespace is tolerated
    else:
        assert info.kind == "invalid"
        assert info.ip == junk


def test_mapped_ipv6_is_classified_as_its_ipv4(default: IpClassifier) -> None:
    info = default.classify("::ffff:185.156.46.5")
    assert info.kind == "vpn" and info.asn_org == "Datacamp Limited"
    assert info.ip == "::ffff:185.156.46.5"  # kept exactly as given, for joins


def test_classify_many_keeps_order_and_passes_asns(default: IpClassifier) -> None:
    infos = default.classify_many(["73.15.2.3", "10.0.0.1", "73.15.2.3"], [7922, None, None])
    assert [i.kind for i in infos] == ["residential", "private", "residential"]
    assert infos[0].asn == 7922 and infos[2].asn is None


# -- precedence -----------------------------------------------------------------------------


@pytest.fixture
def configured(tmp_path: Path) -> IpClassifier:
    intel = tmp_path / "intel"
    intel.mkdir()
    (intel / "vpn_cidrs.txt").write_text(
        "73.15.2.0/24   # a Comcast range the incident showed as a proxy exit\n"
        "12.130.0.0/21  # also the corporate egress: corporate wins\n"
        "10.99.0.0/16   # a private range: the user's statement wins\n"
    )
    (intel / "vpn_asns.txt").write_text("AS7922\n")
    (intel / "vpn_providers.txt").write_text("Hetzner\n")
    settings = parse_settings(
        f"""
network:
  corporate_egress: [12.130.0.0/21]
  corporate_vpn_pools: [10.8.0.0/13]
  private_ranges: [44.0.0.0/9]
  venues: [{{cidr: 4.20.0.0/16, label: Austin Convention Center}}]
indicators: {{paths: [{intel}]}}
"""
    )
    return IpClassifier(settings)


def test_corporate_ranges_come_first(configured: IpClassifier) -> None:
    egress = configured.classify("12.130.1.1")
    assert (egress.kind, egress.provider) == ("corporate", "corporate egress")
    assert "network.corporate_egress" in egress.reason
    assert egress.asn_org == "ATT-CERFNET-BLOCK"  # facts are still filled in
    pool = configured.classify("10.9.1.2")
    assert (pool.kind, pool.provider) == ("corporate", "corporate VPN pool")


def test_private_ranges_and_venues_from_config(configured: IpClassifier) -> None:
    assert configured.classify("44.1.2.3").kind == "private"
    venue = configured.classify("4.20.1.1")
    assert (venue.kind, venue.provider) == ("venue", "Austin Convention Center")
    assert "network.venues" in venue.reason


def test_indicator_lists_beat_the_shipped_data(configured: IpClassifier) -> None:
    listed = configured.classify("73.15.2.3")
    assert listed.kind == "vpn"
    assert "intel/vpn_cidrs.txt:1" in listed.reason
    neighbour = configured.classify("73.15.3.3")  # not listed, but AS7922 is (by hint)
    assert neighbour.kind == "residential"
    by_asn = configured.classify("73.15.3.3", asn=7922)
    assert by_asn.kind == "vpn" and "AS7922" in by_asn.reason
    by_name = configured.classify("5.9.1.1")  # Hetzner Online GmbH
    assert by_name.kind == "vpn" and by_name.provider == "Hetzner"
    assert "intel/vpn_providers.txt:1" in by_name.reason


def test_indicator_lists_beat_special_ranges(configured: IpClassifier) -> None:
    assert configured.classify("10.99.1.1").kind == "vpn"
    assert configured.classify("10.100.1.1").kind == "private"


# -- the simulator's networks ----------------------------------------------------------------

SIM_KINDS = {
    "residential": {"residential"},
    "mobile": {"mobile"},
    "vpn": {"vpn", "hosting"},
    "venue": {"business"},  # a venue's line: not residential, so not a farm
    "corporate": {"corporate"},  # with the corporate range configured
    "operator": {"residential"},  # the operators' home ISPs abroad
}


def _sim_blocks() -> list[dict[str, str]]:
    with SIM_NETWORKS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_simulated_block_gets_the_right_kind() -> None:
    blocks = _sim_blocks()
    corporate = [b["cidr"] for b in blocks if b["kind"] == "corporate"]
    classifier = IpClassifier(parse_settings(f"network: {{corporate_egress: {corporate}}}"))
    assert set(SIM_KINDS) == {b["kind"] for b in blocks}
    rng = random.Random(7)
    for block in blocks:
        network = ipaddress.ip_network(block["cidr"])
        for _ in range(5):
            ip = str(network.network_address + rng.randrange(1, network.num_addresses - 1))
            info = classifier.classify(ip)
            assert info.kind in SIM_KINDS[block["kind"]], (block, info)
            if block["kind"] in ("residential", "operator", "mobile"):
                assert info.country == block["country"], (block, info)


def test_a_configured_venue_is_a_venue() -> None:
    venue = next(b for b in _sim_blocks() if b["kind"] == "venue")
    classifier = IpClassifier(
        parse_settings(f"network: {{venues: [{{cidr: {venue['cidr']}, label: offsite}}]}}")
    )
    address = ipaddress.ip_network(venue["cidr"]).network_address + 5
    assert classifier.classify(str(address)).kind == "venue"


# -- the data files --------------------------------------------------------------------------


def test_every_provider_row_matches_a_real_asn_name() -> None:
    names = shipped_geo().asn_names()
    dead = [r.line for r in shipped_providers() if not any(r.pattern.search(n) for n in names)]
    assert not dead, f"providers.csv rows matching no ASN name: lines {dead}"
    assert {r.kind for r in shipped_providers()} == set(PROVIDER_KINDS)
    assert set(PROVIDER_KINDS) <= set(KINDS)


def test_first_matching_row_wins() -> None:
    classifier = IpClassifier()
    idc = classifier.provider_rule("CHINANET Guangdong province IDC network")
    home = classifier.provider_rule("CHINANET Guangdong province network")
    assert idc is not None and idc.kind == "hosting"
    assert home is not None and home.kind == "residential"
    assert classifier.provider_rule("Some Regional Cable Co") is None


def test_every_kind_is_documented() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "enrichment.md"
    text = docs.read_text(encoding="utf-8")
    assert [k for k in KINDS if f"`{k}`" not in text] == []


def test_shipped_database_date_is_known() -> None:
    assert shipped_geo().date == "20240618"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("pattern,kind,provider\n", "header must be"),
        ("pattern,kind,provider,note\n^X$,farm,X,n\n", "providers.csv:2: kind 'farm'"),
        ("pattern,kind,provider,note\n^(X$,vpn,X,n\n", "providers.csv:2: bad pattern"),
        ("pattern,kind,provider,note\n^X$,vpn,,n\n", "providers.csv:2: provider name is empty"),
    ],
)
def test_bad_provider_data_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "providers.csv"
    path.write_text(content)
    with pytest.raises(EnrichDataError, match=message):
        load_providers(path)


def test_unknown_network_keeps_its_name(tmp_path: Path) -> None:
    classifier = IpClassifier(providers=load_providers(_one_rule(tmp_path)))
    info = classifier.classify("73.15.2.3")
    assert info.kind == "unknown"
    assert "COMCAST-7922" in info.reason


def _one_rule(tmp_path: Path) -> Path:
    path = tmp_path / "providers.csv"
    path.write_text("pattern,kind,provider,note\n^Datacamp Limited$,vpn,Datacamp,n\n")
    return path


# -- MaxMind databases -----------------------------------------------------------------------


def _mmdb(path: Path, kind: str, networks: dict[str, dict[str, object]]) -> Path:
    from mmdb_writer import MMDBWriter  # type: ignore[import-untyped]
    from netaddr import IPSet  # type: ignore[import-untyped]

    writer = MMDBWriter(ip_version=6, database_type=kind, ipv4_compatible=True)
    for cidr, record in networks.items():
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path


def test_mmdb_databases_are_preferred_and_give_asn_numbers(tmp_path: Path) -> None:
    pytest.importorskip("mmdb_writer")
    asn_db = _mmdb(
        tmp_path / "GeoLite2-ASN.mmdb",
        "GeoLite2-ASN",
        {
            "73.15.0.0/20": {
                "autonomous_system_number": 64500,
                "autonomous_system_organization": "Example Proxy Hosting",
            }
        },
    )
    country_db = _mmdb(
        tmp_path / "GeoLite2-Country.mmdb",
        "GeoLite2-Country",
        {"73.15.0.0/16": {"country": {"iso_code": "ca"}}},
    )
    (tmp_path / "intel").mkdir()
    (tmp_path / "intel" / "vpn_asns.txt").write_text("AS64500\n")
    settings = parse_settings(
        f"network: {{mmdb: [{asn_db}, {country_db}]}}\nindicators: {{paths: [intel]}}\n",
        base_dir=tmp_path,
    )
    with IpClassifier(settings) as classifier:
        hit = classifier.classify("73.15.2.3")
        assert (hit.country, hit.asn, hit.asn_org) == ("CA", 64500, "Example Proxy Hosting")
        assert hit.asn_cidr == "73.15.0.0/20"
        assert hit.kind == "vpn" and "AS64500" in hit.reason
        # outside the .mmdb networks, the shipped database answers
        other = classifier.classify("185.156.46.5")
        assert (other.country, other.asn_org, other.kind) == ("US", "Datacamp Limited", "vpn")


def test_unreadable_mmdb_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mmdb"
    bad.write_bytes(b"this is not a database")
    settings = parse_settings(f"network: {{mmdb: [{bad}]}}")
    with pytest.raises(EnrichDataError, match="cannot read MaxMind database"):
        IpClassifier(settings)


def test_indicators_can_be_given_directly(tmp_path: Path) -> None:
    (tmp_path / "vpn_cidrs.txt").write_text("8.8.8.0/24\n")
    classifier = IpClassifier(indicators=load_indicators([tmp_path]))
    assert classifier.classify("8.8.8.8").kind == "vpn"
