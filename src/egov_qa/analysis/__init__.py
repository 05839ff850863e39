"""Text analysis, in one place: words, stop words, acronyms, the stemmer, regulation references, index terms.

BM25 (store and search), the question-term marks (highlight), language detection and the
glossary all read words through this package, so they agree about what a word is.
"""

from __future__ import annotations

from egov_qa.analysis.references import ARTICLE, Reference, article_terms, references
from egov_qa.analysis.stemmer import stem
from egov_qa.analysis.terms import ANALYZER_VERSION, analyze, question_terms, term_spans, word_terms
from egov_qa.analysis.tokens import STOPWORDS, WORD, Span, is_acronym, tokens

__all__ = [
    "ANALYZER_VERSION",
    "ARTICLE",
    "STOPWORDS",
    "WORD",
    "Reference",
    "Span",
    "analyze",
    "article_terms",
    "is_acronym",
    "question_terms",
    "references",
    "stem",
    "term_spans",
    "tokens",
    "word_terms",
]
