"""Zeek network monitor logs (conn, dns, ssl, rdp, and the rest kept whole), TSV or JSON."""

from farmhunt.sources.zeek.json_parser import ZeekJsonParser
from farmhunt.sources.zeek.tsv import ZeekTsvParser

PARSERS = [ZeekTsvParser, ZeekJsonParser]
