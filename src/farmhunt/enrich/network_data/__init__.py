"""Data files for IP enrichment (provider classification); see README.md."""
