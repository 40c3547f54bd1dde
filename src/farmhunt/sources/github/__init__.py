"""GitHub: the organization and enterprise audit log (REST, exports, streaming)."""

from farmhunt.sources.github.audit import GitHubAuditLogParser

PARSERS = [GitHubAuditLogParser]
