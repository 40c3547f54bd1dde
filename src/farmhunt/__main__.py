"""Allow ``python -m farmhunt``."""

from farmhunt.cli.app import main

main()
