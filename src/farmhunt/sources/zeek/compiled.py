"""Compiled readers for Zeek TSV header blocks: the fast path for plain lines.

A header block says once which column holds what, yet the generic path
(:meth:`~farmhunt.sources.zeek.tsv.Header.convert`, :class:`ZeekRecord`,
:func:`~farmhunt.sources.zeek.mapping.normalize_record`) works it out again for every
line: a dict of every field, a mapping that looks each name up, then ``unmapped`` as
what is left. A Zeek sensor writes hundreds of thousands of lines per header, so for a
block whose ``#path`` is a log with a mapping here (conn, dns, ssl) and whose columns
have the types that mapping reads, :func:`compile_reader` fixes once the column of
every mapped field and the columns left for ``unmapped``, and each line becomes one
list of converted values and one row built straight from it.

The compiled reader only ever takes the easy case. Whenever a line is anything else
(a value that does not convert, an ICMP connection, an unset or out-of-range ``ts``, a
value a mapping helper refuses), :meth:`BlockReader.read` returns None and the line
goes the generic way, so what is stored and what is rejected, with which reason, stay
those of the generic path. The tests compare both paths line for line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from farmhunt.sources.base import Row
from farmhunt.sources.rows import event
from farmhunt.sources.zeek.mapping import (
    CONN_STATES,
    DIRECTIONS,
    _fingerprints,
    _list,
    _rcode_id,
    dns_answers,
)
from farmhunt.sources.zeek.times import EARLIEST, latest

Converter = Callable[[str], Any]
Columns = tuple[int, dict[str, Any]]
"""(activity_id, OCSF columns; None values are left out of the row)."""
Builder = Callable[[tuple[Any, ...]], Columns | None]

ANY = frozenset({"text", "float", "int", "port", "bool", "addr", "list"})
"""Value classes (see ``value_class`` in the TSV reader) a helper call accepts."""


def _conn(m: tuple[Any, ...]) -> Columns | None:
    (_, uid, orig_h, orig_p, resp_h, resp_p, proto, service, duration) = m[:9]
    (orig_bytes, resp_bytes, orig_pkts, resp_pkts, state, local_orig, local_resp) = m[9:]
    if proto == "icmp":
        return None  # ports hold ICMP type and code: the generic path keeps them unmapped
    state = state or None
    activity, status_id, meaning = CONN_STATES.get(state or "", (6, 0, None))
    direction = (
        DIRECTIONS[(local_orig, local_resp)]
        if local_orig is not None and local_resp is not None
        else None
    )
    return activity, {
        "src_endpoint.ip": orig_h,
        "src_endpoint.port": orig_p,
        "dst_endpoint.ip": resp_h,
        "dst_endpoint.port": resp_p,
        "connection_info.protocol_name": proto or None,
        "connection_info.uid": uid or None,
        "connection_info.direction_id": direction,
        "app_name": service or None,
        "duration": None if duration is None else round(duration * 1000),
        "traffic.bytes_out": orig_bytes,
        "traffic.bytes_in": resp_bytes,
        "traffic.packets_out": orig_pkts,
        "traffic.packets_in": resp_pkts,
        "status": state,
        "status_id": status_id if state else None,
        "status_detail": meaning,
    }


_CONNECTION: dict[str, frozenset[str]] = {
    # the fields every mapped log starts with: time, connection id and endpoints
    "ts": frozenset({"float"}),
    "uid": frozenset({"text"}),
    "id.orig_h": frozenset({"addr"}),
    "id.orig_p": frozenset({"port"}),
    "id.resp_h": frozenset({"addr"}),
    "id.resp_p": frozenset({"port"}),
}

_CONN_FIELDS: dict[str, frozenset[str]] = {
    # field read by the conn mapping: the value classes read here as the mapping would
    **_CONNECTION,
    "proto": frozenset({"text"}),
    "service": frozenset({"text"}),
    "duration": frozenset({"float"}),
    "orig_bytes": frozenset({"int"}),
    "resp_bytes": frozenset({"int"}),
    "orig_pkts": frozenset({"int"}),
    "resp_pkts": frozenset({"int"}),
    "conn_state": frozenset({"text"}),
    "local_orig": frozenset({"bool"}),
    "local_resp": frozenset({"bool"}),
}
_CONN_PEEKED = frozenset({"conn_state", "local_orig", "local_resp"})


def _dns(m: tuple[Any, ...]) -> Columns | None:
    (_, uid, orig_h, orig_p, resp_h, resp_p, proto, query, qtype_name) = m[:9]
    (rcode, rcode_name, answers, ttls) = m[9:]
    rcode_name = rcode_name or None
    answers = _list(answers)
    rows = dns_answers(answers, _list(ttls))
    answered = rcode is not None or rcode_name is not None or bool(answers)
    return 6 if answered else 1, {
        "src_endpoint.ip": orig_h,
        "src_endpoint.port": orig_p,
        "dst_endpoint.ip": resp_h,
        "dst_endpoint.port": resp_p,
        "query.hostname": query or None,
        "query.type": qtype_name or None,
        "rcode": rcode_name,
        "rcode_id": _rcode_id(rcode, rcode_name),
        "answers": rows or None,
        "connection_info.protocol_name": proto or None,
        "connection_info.uid": uid or None,
    }


_DNS_FIELDS: dict[str, frozenset[str]] = {
    **_CONNECTION,
    "proto": frozenset({"text"}),
    "query": frozenset({"text"}),
    "qtype_name": frozenset({"text"}),
    "rcode": frozenset({"int"}),
    "rcode_name": frozenset({"text"}),
    "answers": ANY,
    "TTLs": ANY,
}
_DNS_PEEKED = frozenset({"rcode"})


def _ssl(m: tuple[Any, ...]) -> Columns | None:
    (_, uid, orig_h, orig_p, resp_h, resp_p, server_name, version, cipher) = m[:9]
    (subject, issuer, ja3, ja3s, last_alert, established, cert_chain_fps) = m[9:]
    return 6, {
        "src_endpoint.ip": orig_h,
        "src_endpoint.port": orig_p,
        "dst_endpoint.ip": resp_h,
        "dst_endpoint.port": resp_p,
        "connection_info.uid": uid or None,
        "tls.sni": server_name or None,
        "tls.version": version or None,
        "tls.cipher": cipher or None,
        "tls.certificate.subject": subject or None,
        "tls.certificate.issuer": issuer or None,
        "tls.certificate.fingerprints": _fingerprints(cert_chain_fps),
        "tls.ja3_hash.value": ja3 or None,
        "tls.ja3s_hash.value": ja3s or None,
        "status_id": None if established is None else (1 if established else 2),
        "status": None
        if established is None
        else ("established" if established else "not established"),
        "status_detail": last_alert or None,
    }


_SSL_FIELDS: dict[str, frozenset[str]] = {
    **_CONNECTION,
    "server_name": frozenset({"text"}),
    "version": frozenset({"text"}),
    "cipher": frozenset({"text"}),
    "subject": frozenset({"text"}),
    "issuer": frozenset({"text"}),
    "ja3": frozenset({"text"}),
    "ja3s": frozenset({"text"}),
    "last_alert": frozenset({"text"}),
    "established": frozenset({"bool"}),
    "cert_chain_fps": ANY,
}
_SSL_PEEKED = frozenset({"established", "cert_chain_fps"})

KINDS: dict[str, tuple[str, dict[str, frozenset[str]], frozenset[str], Builder]] = {
    # log: (table, fields read in the builder's order, fields read but kept in
    # unmapped, builder). Each builder mirrors its mapping in mapping.py for values of
    # the classes listed; anything else is left to that mapping.
    "conn": ("network_activity", _CONN_FIELDS, _CONN_PEEKED, _conn),
    "dns": ("dns_activity", _DNS_FIELDS, _DNS_PEEKED, _dns),
    "ssl": ("network_activity", _SSL_FIELDS, _SSL_PEEKED, _ssl),
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _getter(indexes: Sequence[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """``itemgetter`` that always returns a tuple, whatever the number of indexes."""
    if not indexes:
        return lambda values: ()
    if len(indexes) == 1:
        index = indexes[0]
        return lambda values: (values[index],)
    return itemgetter(*indexes)


class BlockReader:
    """One header block's compiled reader: a line's parts in, its OCSF row out (or None)."""

    def __init__(
        self,
        kind: str,
        path: str,
        names: list[str],
        converters: list[Converter],
        plain: list[Converter | None],
        empty: str,
        unset: str,
    ) -> None:
        table, fields, peeked, builder = KINDS[kind]
        index = {name: i for i, name in enumerate(names)}
        missing = len(names)  # the None appended to every line's values
        self._table, self._builder, self._path = table, builder, path
        self._converters = converters
        self._plain = plain
        self._empty, self._unset = empty, unset
        self._ts = index["ts"]
        self._mapped = _getter([index.get(name, missing) for name in fields])
        taken = set(fields) - peeked
        rest = [i for i, name in enumerate(names) if name not in taken]
        self._rest_names = [names[i] for i in rest]
        self._rest = _getter(rest)
        self._heads: dict[int, dict[str, Any]] = {}

    def read(self, parts: list[str], text: str) -> Row | None:
        """The row for one line of the block, or None to leave the line to the generic path."""
        unset = self._unset
        high = latest()
        try:
            if "\\x" in text:
                values = [
                    None if raw == unset else convert(raw)
                    for convert, raw in zip(self._converters, parts, strict=True)
                ]
            else:
                # No escapes in the line: a text value is the raw text, or "" for the
                # empty-field marker, without a call per column.
                empty = self._empty
                values = [
                    None
                    if raw == unset
                    else (("" if raw == empty else raw) if convert is None else convert(raw))
                    for convert, raw in zip(self._plain, parts, strict=True)
                ]
            values.append(None)
            mapped = self._mapped(values)
            ts = mapped[0]
            if ts is None:
                return None
            built = self._builder(mapped)
            if built is None:
                return None
            if not EARLIEST <= ts <= high:
                return None  # the generic path quarantines it with the reason
            time = _EPOCH + timedelta(seconds=ts)
        except Exception:
            return None  # the generic path gives the reason (or raises as before)
        activity, columns = built
        head = self._heads.get(activity)
        if head is None:
            head = self._heads[activity] = event(self._table, activity, _EPOCH, {})[1]
        row = head.copy()
        row["time"] = time
        for key, value in columns.items():
            if value is not None:
                row[key] = value
        row["metadata.log_name"] = self._path
        row["metadata.original_time"] = parts[self._ts]
        unmapped = {
            name: value
            for name, value in zip(self._rest_names, self._rest(values), strict=False)
            if value is not None
        }
        if unmapped:
            row["unmapped"] = unmapped
        return self._table, row


def compile_reader(
    kind: str | None,
    path: str | None,
    names: list[str],
    classes: list[str],
    converters: list[Converter],
    plain: list[Converter | None],
    empty: str,
    unset: str,
) -> BlockReader | None:
    """A compiled reader for a block, or None when its lines must take the generic path.

    ``classes`` is each column's value class (``text``, ``float``, ``int``, ``port``,
    ``bool``, ``addr``, ``list``); ``converters`` convert each column's values and
    ``plain`` those of lines without ``\\x`` escapes (None for text). A mapped field
    of a class its builder does not read as the mapping would, duplicate field names
    or no ``ts`` column leave the block to the generic path.
    """
    if kind not in KINDS or not path or "ts" not in names or len(set(names)) != len(names):
        return None
    fields = KINDS[kind][1]
    for name, cls in zip(names, classes, strict=True):
        if name in fields and cls not in fields[name]:
            return None
    return BlockReader(kind, path, names, converters, plain, empty, unset)
