"""Allow ``python -m farmhunt``."""

from farmhunt.cli.app import main

# Guarded: ingest's worker processes start by importing the main module again.
if __name__ == "__main__":
    main()
