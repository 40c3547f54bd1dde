"""Events that are already OCSF (a security data lake's export): stored as they are."""

from farmhunt.sources.ocsf.parser import OcsfJsonParser

PARSERS = [OcsfJsonParser]
