"""Column mappings shipped with farmhunt (YAML files, one per HR system export)."""
