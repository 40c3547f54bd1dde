"""The ``farmhunt`` command line."""
