"""egov-qa: search and question Indonesian e-government texts in Indonesian or English.

This package's names are the public API; the command line and the app use nothing else.
"""

from __future__ import annotations

from egov_qa import interface
from egov_qa.analysis import question_terms, term_spans
from egov_qa.answer import marked_terms, term_groups
from egov_qa.api import MAX_TOP_K, Index, load_index
from egov_qa.cluster import ClusterOptions
from egov_qa.config import BACKENDS, DEFAULT_MODEL, Settings
from egov_qa.embedding import Embedder, load_embedder, register_embedder
from egov_qa.errors import (
    ConfigError,
    CorpusError,
    EgovQAError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelError,
    QueryError,
)
from egov_qa.evaluation import EvalQuery, evaluate_index, read_queries
from egov_qa.filters import Filters, IndexFacets
from egov_qa.glossary import Glossary, load_glossary
from egov_qa.highlight import segments
from egov_qa.ingest import build_index, compact_index
from egov_qa.language import detect_language
from egov_qa.manage import MAX_UPLOAD_BYTES, Corpus, CorpusReport, check_admin_password, management_access
from egov_qa.manifest import LastIngest, Manifest, ModelInfo
from egov_qa.messages import confidence_text, labels
from egov_qa.publish import publish_index
from egov_qa.records import (
    Answer,
    Article,
    Citation,
    Document,
    Evidence,
    Hit,
    IngestReport,
    Location,
    RegulationInfo,
    SearchResult,
    Skipped,
)
from egov_qa.search import DEFAULT_FUSION, MODES, FusionWeights, Mode
from egov_qa.version import __version__
from egov_qa.warm import open_shared, shared_embedder, warm_index, warm_up

__all__ = [
    "BACKENDS",
    "DEFAULT_FUSION",
    "DEFAULT_MODEL",
    "MAX_TOP_K",
    "MAX_UPLOAD_BYTES",
    "MODES",
    "Answer",
    "Article",
    "Citation",
    "ClusterOptions",
    "ConfigError",
    "Corpus",
    "CorpusError",
    "CorpusReport",
    "Document",
    "EgovQAError",
    "Embedder",
    "EvalQuery",
    "Evidence",
    "Filters",
    "FusionWeights",
    "Glossary",
    "Hit",
    "Index",
    "IndexCorruptError",
    "IndexFacets",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IngestReport",
    "LastIngest",
    "Location",
    "Manifest",
    "Mode",
    "ModelError",
    "ModelInfo",
    "QueryError",
    "RegulationInfo",
    "SearchResult",
    "Settings",
    "Skipped",
    "__version__",
    "build_index",
    "compact_index",
    "check_admin_password",
    "detect_language",
    "evaluate_index",
    "interface",
    "confidence_text",
    "labels",
    "load_embedder",
    "load_glossary",
    "load_index",
    "publish_index",
    "marked_terms",
    "open_shared",
    "management_access",
    "question_terms",
    "read_queries",
    "register_embedder",
    "segments",
    "shared_embedder",
    "term_groups",
    "term_spans",
    "warm_index",
    "warm_up",
]
