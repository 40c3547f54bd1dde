"""Events that are already OCSF (a security data lake's export, JSON or Parquet): stored
as they are."""

from farmhunt.sources.ocsf.parquet import OcsfParquetParser
from farmhunt.sources.ocsf.parser import OcsfJsonParser

PARSERS = [OcsfJsonParser, OcsfParquetParser]
