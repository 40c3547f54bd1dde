"""Zeek sensors: conn, dns and ssl logs in Zeek's TSV format.

Two sensors, as a company would run them: one at the corporate VPN concentrator sees
only traffic the VPN carries (``on_vpn`` activities, from the addresses the VPN hands
out), one at the office sees the laptops on the office LAN (``at_office``). A day's logs
go to ``zeek/<date>/`` (VPN) and ``zeek/office/<date>/`` as Zeek's log archive lays them
out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import IO

from farmhunt.simulate.activities import Activity, DnsLookup, NetConnect, TlsSession
from farmhunt.simulate.writers import Writer, rng_for, uid

RESOLVER = "10.0.0.53"
FIELDS = {
    "conn": [
        ("ts", "time"),
        ("uid", "string"),
        ("id.orig_h", "addr"),
        ("id.orig_p", "port"),
        ("id.resp_h", "addr"),
        ("id.resp_p", "port"),
        ("proto", "enum"),
        ("service", "string"),
        ("duration", "interval"),
        ("orig_bytes", "count"),
        ("resp_bytes", "count"),
        ("conn_state", "string"),
        ("local_orig", "bool"),
        ("local_resp", "bool"),
        ("missed_bytes", "count"),
        ("history", "string"),
        ("orig_pkts", "count"),
        ("orig_ip_bytes", "count"),
        ("resp_pkts", "count"),
        ("resp_ip_bytes", "count"),
        ("tunnel_parents", "set[string]"),
    ],
    "dns": [
        ("ts", "time"),
        ("uid", "string"),
        ("id.orig_h", "addr"),
        ("id.orig_p", "port"),
        ("id.resp_h", "addr"),
        ("id.resp_p", "port"),
        ("proto", "enum"),
        ("trans_id", "count"),
        ("rtt", "interval"),
        ("query", "string"),
        ("qclass", "count"),
        ("qclass_name", "string"),
        ("qtype", "count"),
        ("qtype_name", "string"),
        ("rcode", "count"),
        ("rcode_name", "string"),
        ("AA", "bool"),
        ("TC", "bool"),
        ("RD", "bool"),
        ("RA", "bool"),
        ("Z", "count"),
        ("answers", "vector[string]"),
        ("TTLs", "vector[interval]"),
        ("rejected", "bool"),
    ],
    "ssl": [
        ("ts", "time"),
        ("uid", "string"),
        ("id.orig_h", "addr"),
        ("id.orig_p", "port"),
        ("id.resp_h", "addr"),
        ("id.resp_p", "port"),
        ("version", "string"),
        ("cipher", "string"),
        ("curve", "string"),
        ("server_name", "string"),
        ("resumed", "bool"),
        ("last_alert", "string"),
        ("next_protocol", "string"),
        ("established", "bool"),
        ("ssl_history", "string"),
        ("cert_chain_fps", "vector[string]"),
        ("client_cert_chain_fps", "vector[string]"),
        ("sni_matches_cert", "bool"),
    ],
}


def _ts(when: datetime) -> str:
    return f"{when.timestamp():.6f}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\x09").replace(",", "\\x2c") or "(empty)"


class ZeekWriter(Writer):
    """The sensor at the corporate VPN concentrator."""

    folder = "zeek"

    def sees(self, activity: NetConnect | DnsLookup | TlsSession) -> bool:
        """Whether this sensor's tap carries the activity."""
        return activity.on_vpn

    def resolver(self) -> str:
        return RESOLVER

    def begin_day(self, day: date, part: str = "") -> None:
        self.day, self.part = day, part
        self.logs: dict[str, IO[str]] = {}

    def _log(self, path: str) -> IO[str]:
        """The day's log for ``path``, opened with its header on its first line (a sensor
        that saw nothing that day writes no file, as Zeek rotates none)."""
        handle = self.logs.get(path)
        if handle is None:
            day = self.day.isoformat()
            handle = self.file(f"{self.folder}/{day}/{path}{self.part}.log")
            handle.write(
                "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
                f"#path\t{path}\n#open\t{day}-00-00-00\n"
                "#fields\t" + "\t".join(n for n, _ in FIELDS[path]) + "\n"
                "#types\t" + "\t".join(t for _, t in FIELDS[path]) + "\n"
            )
            self.logs[path] = handle
        return handle

    def end_day(self, day: date, part: str = "") -> None:
        for handle in self.logs.values():
            handle.write(f"#close\t{day.isoformat()}-23-59-59\n")

    def _line(self, path: str, values: list[str]) -> None:
        self._log(path).write("\t".join(values) + "\n")
        self.count += 1

    def write(self, activity: Activity) -> None:
        if isinstance(activity, NetConnect) and self.sees(activity):
            c = activity
            rng = rng_for("conn", c.time, c.src_port)
            packets_out = max(c.bytes_out // 900, 3)
            packets_in = max(c.bytes_in // 1300, 3)
            self._line(
                "conn",
                [
                    _ts(c.time),
                    "C" + uid("conn", c.time, c.src_port, length=17),
                    c.src_ip,
                    str(c.src_port),
                    c.dst_ip,
                    str(c.dst_port),
                    c.protocol,
                    "ssl" if c.dst_port == 443 else "-",
                    f"{c.duration_s:.6f}",
                    str(c.bytes_out),
                    str(c.bytes_in),
                    rng.choice(["SF", "SF", "SF", "S1", "RSTO"]),
                    "T",
                    "F",
                    "0",
                    "ShADadFf",
                    str(packets_out),
                    str(c.bytes_out + 40 * packets_out),
                    str(packets_in),
                    str(c.bytes_in + 40 * packets_in),
                    "-",
                ],
            )
        elif isinstance(activity, DnsLookup) and self.sees(activity):
            d = activity
            rng = rng_for("dns", d.time, d.query)
            self._line(
                "dns",
                [
                    _ts(d.time),
                    "C" + uid("dns", d.time, d.query, length=17),
                    d.client_ip,
                    str(rng.randint(49152, 65535)),
                    self.resolver(),
                    "53",
                    "udp",
                    str(rng.randint(1, 65535)),
                    f"{rng.uniform(0.001, 0.04):.6f}",
                    _escape(d.query),
                    "1",
                    "C_INTERNET",
                    "1",
                    "A",
                    "0",
                    "NOERROR",
                    "F",
                    "F",
                    "T",
                    "T",
                    "0",
                    ",".join(d.answers) or "-",
                    ",".join("60.000000" for _ in d.answers) or "-",
                    "F",
                ],
            )
        elif isinstance(activity, TlsSession) and self.sees(activity):
            t = activity
            self._line(
                "ssl",
                [
                    _ts(t.time),
                    "C" + uid("conn", t.time, t.src_port, length=17),
                    t.src_ip,
                    str(t.src_port),
                    t.dst_ip,
                    str(t.dst_port),
                    "TLSv13",
                    "TLS_AES_128_GCM_SHA256",
                    "x25519",
                    _escape(t.sni),
                    "F",
                    "-",
                    "h2",
                    "T",
                    "CsiI",
                    "(empty)",
                    "(empty)",
                    "T",
                ],
            )


class OfficeZeekWriter(ZeekWriter):
    """The sensor at the office: laptops on the office LAN, whose DNS goes to the
    office's resolver."""

    folder = "zeek/office"

    def sees(self, activity: NetConnect | DnsLookup | TlsSession) -> bool:
        return activity.at_office

    def resolver(self) -> str:
        office = self.company.office
        return f"{office.lan_prefix}.1" if office else RESOLVER
