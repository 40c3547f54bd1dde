"""Ingest: files in, OCSF rows and quarantine records committed to the workspace."""

from farmhunt.ingest.model import FileResult, IngestOptions
from farmhunt.ingest.pipeline import ingest_paths

__all__ = ["FileResult", "IngestOptions", "ingest_paths"]
