"""Okta System Log: sign-ins, factor challenges, account and admin changes."""

from farmhunt.sources.okta.parser import OktaSystemLogParser

PARSERS = [OktaSystemLogParser]
