"""Retrieval: dense, lexical and hybrid ranking of chunks, and the Hits made from the ranked chunks.

Hybrid search takes the union of the dense and the lexical top lists (50 each) and the chunks
of a regulation the question names, and ranks them with the learned fusion of
:mod:`egov_qa.fusion`; a search for more than that pool holds appends the next candidates
after it, so the first results never depend on ``top_k``. The named regulation's chunks come
first.

Given :class:`FusionWeights`, it ranks instead by the fixed vote used before, over 100
candidates per side:

    dense cosine + w if it is the lexical side's best passage + r if it contains a reference
    named in the question

The lexical side casts one vote, for its best passage, instead of adding a scaled score to
every candidate: measured on training questions, a scaled BM25 term pushed passages that
merely share words into the top ten and cost recall@10, while the single vote lifts the right
passage to the top when the words are decisive and leaves the dense ranking alone otherwise.
``w`` is decided per query: Indonesian questions get a fixed weight, English ones a weight
scaled by how much of the question the glossary (and language-neutral tokens such as
acronyms and numbers) could carry into Indonesian, other languages none. A candidate that
contains a regulation reference named in the question ("UU 25/2009") gets ``r``: an exact
reference is the strongest lexical evidence there is. The weights are chosen on training data
by ``benchmarks/bench_hybrid.py`` (see docs/BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from egov_qa.analysis import STOPWORDS, WORD, analyze, is_acronym, references, word_terms
from egov_qa.fusion import CANDIDATES_PER_SIDE, FusionModel, Signals, fusion_rows, load_fusion_model
from egov_qa.glossary import Glossary, load_glossary
from egov_qa.highlight import sentence_spans
from egov_qa.records import Hit, Location
from egov_qa.regulation.cite import CitationQuery
from egov_qa.regulation.relations import ISSUED_BY_MANY, names
from egov_qa.store import IndexReader

Mode = Literal["dense", "lexical", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
CANDIDATES = 100


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """How much the lexical side's vote counts, per question language, and an exact reference."""

    indonesian: float = 0.02
    english: float = 0.05
    reference: float = 0.1


DEFAULT_FUSION = FusionWeights()


@dataclass(frozen=True, slots=True)
class LexicalQuery:
    """The lexical side of a question: analysed terms, reference tokens, and glossary coverage."""

    terms: tuple[str, ...]
    references: tuple[str, ...]
    coverage: float


NO_LEXICAL = LexicalQuery((), (), 0.0)


def neutral_words(question: str) -> list[str]:
    """Return the words of an English question that can stand as they are in Indonesian text.

    Acronyms, numbers, capitalised names after the first word and hyphenated terms (e-KTP).
    """
    words = WORD.findall(question)
    return [
        w
        for i, w in enumerate(words)
        if w.lower() not in STOPWORDS
        and (is_acronym(w) or any(c.isdigit() for c in w) or (i > 0 and w[:1].isupper()) or "-" in w)
    ]


def lexical_query(question: str, language: str, glossary: Glossary | None = None) -> LexicalQuery:
    """Analyse a question for BM25: Indonesian as it is, English through the glossary.

    An English question keeps only what can occur in Indonesian text: the Indonesian renderings
    of its glossary terms, references, acronyms, numbers and capitalised names.
    """
    refs = tuple(r.token for r in references(question))
    if language != "en":
        return LexicalQuery(tuple(analyze(question)), refs, 1.0)
    expansion = (glossary or load_glossary()).expand(question)
    content = [w for w in WORD.findall(question) if w.lower() not in STOPWORDS]
    neutral = neutral_words(question)
    terms = [*refs, *(t for w in neutral for t in word_terms(w))]
    terms += [t for rendering in expansion.indonesian for t in analyze(rendering)]
    neutral_share = len(neutral) / len(content) if content else 0.0
    return LexicalQuery(tuple(dict.fromkeys(terms)), refs, min(1.0, expansion.coverage + neutral_share))


def lexical_weight(query: LexicalQuery, language: str, weights: FusionWeights) -> float:
    """Return the weight of the lexical side's vote for this query."""
    if language == "id":
        return weights.indonesian
    if language == "en":
        return weights.english * query.coverage
    return 0.0


@dataclass(slots=True)
class Ranked:
    """One ranked chunk with the scores of both sides (None where a side was not used)."""

    chunk_id: int
    score: float
    dense: float | None = None
    lexical: float | None = None


def _top(pairs: Sequence[tuple[int, float]], allowed: set[int] | None, n: int) -> list[tuple[int, float]]:
    return [(i, s) for i, s in pairs if allowed is None or i in allowed][:n]


def hybrid_signals(
    reader: IndexReader,
    query_vec: np.ndarray,
    lexical: LexicalQuery,
    *,
    allowed: set[int] | None = None,
    named: set[int] | None = None,
    units: bool = True,
    n: int = CANDIDATES_PER_SIDE,
) -> Signals:
    """Return the hybrid candidates (the dense and lexical top lists and the named chunks) with both sides' scores.

    ``units``: read the candidates' evidence-unit vectors too (what the learned fusion scores).
    """
    limit = None if allowed is not None else n  # filtered: rank every match, then keep the allowed
    dense_top = _top(reader.dense_all(query_vec) if allowed is not None else reader.search(query_vec, n), allowed, n)
    lex_top = _top(reader.lexical_search(lexical.terms, limit), allowed, n)
    dense, lex = dict(dense_top), dict(lex_top)
    named = {i for i in named or () if allowed is None or i in allowed}
    missing_dense = [i for i in (*lex, *named) if i not in dense]
    if missing_dense:
        dense.update(zip(missing_dense, map(float, reader.vectors_of(missing_dense) @ query_vec), strict=True))
    lex.update(reader.lexical_scores(lexical.terms, [i for i in dense if i not in lex]))
    ids = list(dense)
    return Signals(
        ids=ids,
        dense=np.asarray([dense[i] for i in ids], dtype=np.float64),
        lexical=np.asarray([lex.get(i, 0.0) for i in ids], dtype=np.float64),
        dense_top=[i for i, _ in dense_top],
        lexical_top=[i for i, _ in lex_top],
        named=frozenset(named),
        units=reader.unit_vectors_of(ids) if units else {},
    )


def rank(
    reader: IndexReader,
    query_vec: np.ndarray,
    lexical: LexicalQuery,
    *,
    language: str,
    mode: Mode,
    k: int,
    weights: FusionWeights | None = None,
    allowed: set[int] | None = None,
    named: set[int] | None = None,
    model: FusionModel | None = None,
) -> list[Ranked]:
    """Return the ``k`` best chunks for ``mode``, best first.

    ``allowed`` restricts the chunk ids; ``named`` holds the chunks of the documents that the
    question names by reference (a regulation asked for by its number): in hybrid mode they are
    candidates. Hybrid mode ranks with the learned fusion (``model``, default the shipped one);
    given ``weights``, with the fixed vote used before it (see :class:`FusionWeights`).
    """
    n = max(CANDIDATES, k)
    limit = None if allowed is not None else n  # filtered: rank every match, then keep the allowed
    if mode == "lexical":
        found = _top(reader.lexical_search(lexical.terms, limit), allowed, k)
        return [Ranked(i, s, lexical=s) for i, s in found]
    if mode == "dense":
        found = reader.dense_all(query_vec) if allowed is not None else reader.search(query_vec, n)
        return [Ranked(i, s, dense=s) for i, s in _top(found, allowed, k)]
    if weights is not None:
        return _voted(hybrid_signals(reader, query_vec, lexical, allowed=allowed, named=named, units=False, n=n),
                      lexical, language, weights)[:k]  # fmt: skip
    model = model or load_fusion_model()
    learned = language in model.scorers
    signals = hybrid_signals(reader, query_vec, lexical, allowed=allowed, named=named, units=learned)
    out = _learned(signals, query_vec, language, model)
    if k > len(out):  # more than the pool holds: the next candidates, ranked among themselves, after it
        wider = hybrid_signals(reader, query_vec, lexical, allowed=allowed, named=named, units=learned, n=k)
        pooled = {r.chunk_id for r in out}
        out += [r for r in _learned(wider, query_vec, language, model) if r.chunk_id not in pooled]
    return out[:k]


def _learned(signals: Signals, query_vec: np.ndarray, language: str, model: FusionModel) -> list[Ranked]:
    """Rank candidates by the model (a language it has no weights for: by cosine), named regulations first."""
    scores = model.scores(fusion_rows(signals, query_vec), language) if language in model.scorers else None
    out = _ranked(signals, signals.dense if scores is None else scores)
    out.sort(key=lambda r: (r.chunk_id not in signals.named, -r.score, r.chunk_id))
    return out


def _voted(signals: Signals, lexical: LexicalQuery, language: str, weights: FusionWeights) -> list[Ranked]:
    """Rank candidates by the fixed vote: cosine, plus w for the lexical side's best, plus r if named."""
    w = lexical_weight(lexical, language, weights)
    vote = signals.lexical_top[0] if signals.lexical_top else None  # the lexical side's best passage
    scores = signals.dense + np.asarray([w if i == vote else 0.0 for i in signals.ids])
    scores = scores + np.asarray([weights.reference if i in signals.named else 0.0 for i in signals.ids])
    out = _ranked(signals, scores)
    out.sort(key=lambda r: (-r.score, r.chunk_id))
    return out


def _ranked(signals: Signals, scores: np.ndarray) -> list[Ranked]:
    return [
        Ranked(i, float(score), dense=float(d), lexical=float(lx))
        for i, score, d, lx in zip(signals.ids, scores, signals.dense, signals.lexical, strict=True)
    ]


def make_hits(reader: IndexReader, ranked: Sequence[Ranked]) -> list[Hit]:
    """Return ranked chunks as Hits, in the given order, without highlights (see :mod:`egov_qa.evidence`)."""
    rows = reader.chunk_rows([r.chunk_id for r in ranked])
    ordered = [(rows[r.chunk_id], r) for r in ranked if r.chunk_id in rows]
    regulations = reader.regulation_infos()
    return [
        Hit(
            doc_id=row["doc_id"],
            title=row["title"],
            text=row["text"],
            score=r.score,
            rank=rank,
            metadata=row["metadata"],
            highlights=(),
            chunk_id=row["id"],
            start=row["start"],
            end=row["end"],
            heading=row["heading"],
            page=row["page"],
            sentences=tuple(sentence_spans(row["text"], row["sentences"])),
            dense_score=r.dense,
            lexical_score=r.lexical,
            location=row["location"],
            regulation=regulations.get(row["doc_id"]),
            page_starts=row["page_starts"],
        )
        for rank, (row, r) in enumerate(ordered, start=1)
    ]


def _holds(location: Location, query: CitationQuery) -> bool:
    """Tell whether a chunk's location holds the unit a citation query names (its ayat and huruf too)."""
    part = "penjelasan" if query.penjelasan else "pasal"
    if location.part != part or location.pasal != query.pasal:
        return False
    wanted = query.items
    if not wanted:
        return True
    paths = [location.path, *(p for _, p in location.marks)]
    return any(all(item in path for item in wanted) for path in paths)


def lookup(reader: IndexReader, query: CitationQuery, allowed: set[int] | None = None) -> tuple[int, bool] | None:
    """Return the chunk holding the unit a citation names ("Pasal 21 UU 25/2009") and whether it is that unit.

    A Penjelasan that only says "Cukup jelas." has no chunk of its own, and an ayat or huruf
    may not exist: then the Pasal's first chunk is returned, not as the unit itself (False).
    None when the regulation or the Pasal is not in the index, or when the query does not
    tell which of several regulations of that number it means.
    """
    rows = reader.regulations()
    docs = [d for d, row in rows.items() if row["reference"] == query.reference]
    if query.reference.split("_", 1)[0] in ISSUED_BY_MANY:  # laws are told apart by their number alone
        docs = [d for d in docs if names(query.words, query.reference, rows[d]["opening"], strict=False)]
    if len(docs) != 1:
        return None  # none, or several that the query does not tell apart
    for doc_id in docs:
        located = [(c, loc) for c, loc in reader.chunk_locations(doc_id) if allowed is None or c in allowed]
        whole = replace(query, ayat="", huruf="", angka="")
        for exact, wanted in ((True, query), (False, whole), (False, replace(whole, penjelasan=False))):
            found = [c for c, loc in located if _holds(loc, wanted)]
            if found:
                return found[0], exact
    return None


def put_first(ranked: list[Ranked], chunk_id: int, k: int) -> list[Ranked]:
    """Put a looked-up chunk at the top of a ranking (scored just above the best), keeping ``k``."""
    top = max((r.score for r in ranked), default=0.0)
    rest = [r for r in ranked if r.chunk_id != chunk_id]
    found = next((r for r in ranked if r.chunk_id == chunk_id), Ranked(chunk_id, top))
    return [Ranked(chunk_id, max(top, found.score), found.dense, found.lexical), *rest][:k]
