"""Enrichment: tables derived from the stored events (identity links, later findings)."""
