"""egov-qa: search and question Indonesian e-government texts in Indonesian or English."""

from __future__ import annotations

__version__ = "0.1.0"

from egov_qa.api import Index, build_index, load_index  # noqa: E402
from egov_qa.config import Settings  # noqa: E402
from egov_qa.embedding import Embedder  # noqa: E402
from egov_qa.errors import EgovQAError  # noqa: E402
from egov_qa.records import Answer, Document, Evidence, Hit, IngestReport, SearchResult, Skipped  # noqa: E402

__all__ = [
    "Answer",
    "Document",
    "EgovQAError",
    "Embedder",
    "Evidence",
    "Hit",
    "Index",
    "IngestReport",
    "SearchResult",
    "Settings",
    "Skipped",
    "__version__",
    "build_index",
    "load_index",
]
