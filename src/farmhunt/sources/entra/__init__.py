"""Microsoft Entra ID (Azure AD) sign-in logs: Graph API pages and Azure Monitor exports."""

from farmhunt.sources.entra.parser import EntraSignInParser

PARSERS = [EntraSignInParser]
