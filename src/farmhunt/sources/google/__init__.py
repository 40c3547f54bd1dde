"""Google Workspace: Admin SDK Reports API activities (login, drive, saml, admin…)."""

from farmhunt.sources.google.reports import GoogleWorkspaceReportsParser

PARSERS = [GoogleWorkspaceReportsParser]
