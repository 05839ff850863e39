"""Learned fusion: how hybrid search ranks the union of the dense and lexical candidates.

Each candidate chunk gets a row of features (its cosine with the question and its distance to
the best one, its BM25 score as a share of the best, its rank on each side, whether it is the
lexical side's best passage or in both lists, and the best cosine of one of its evidence units,
alone and with its neighbours, where the index kept them), and a linear model per question
language scores the row. Chunks of a regulation the question names ("UU 25/2009") come first:
an exact reference is the strongest evidence there is, and no training set holds one. The
weights are plain data (``data/fusion_model.json``), trained by ``benchmarks/train_fusion.py``
on the shared training splits: listwise, a softmax over each training question's candidates.
Languages the model has no weights for rank by cosine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from egov_qa.answer_model import Linear
from egov_qa.evidence_vectors import UnitVectors

# candidates per side (dense, lexical): the right chunk is nearly always in the top 50 of one, and
# each candidate costs reading its unit vectors and a BM25 score
CANDIDATES_PER_SIDE = 50
FUSION_FEATURES = (
    "dense",
    "dense_gap",
    "dense_reciprocal_rank",
    "lexical",
    "lexical_reciprocal_rank",
    "lexical_best",
    "in_both",
    "unit",
    "unit_gap",
    "unit_context",
    "unit_context_gap",
)


@dataclass(frozen=True, slots=True)
class Signals:
    """What both sides said about each candidate chunk, in candidate order.

    ``dense`` is every candidate's cosine; ``lexical`` its BM25 score (0 where its words do not
    match); ``dense_top`` and ``lexical_top`` the chunk ids each side returned, best first;
    ``named`` the candidates in a regulation the question names; ``units`` the evidence-unit
    vectors kept at ingest, by chunk id (empty where the index has none).
    """

    ids: Sequence[int]
    dense: np.ndarray
    lexical: np.ndarray
    dense_top: Sequence[int]
    lexical_top: Sequence[int]
    named: frozenset[int] = frozenset()
    units: Mapping[int, UnitVectors] = field(default_factory=dict)


def fusion_rows(signals: Signals, query_vec: np.ndarray) -> np.ndarray:
    """Return the feature rows (candidates × :data:`FUSION_FEATURES`) of one question's candidates."""
    n = len(signals.ids)
    if not n:
        return np.zeros((0, len(FUSION_FEATURES)), dtype=np.float64)
    dense = np.asarray(signals.dense, dtype=np.float64)
    lexical = np.asarray(signals.lexical, dtype=np.float64)
    dense_rank = {c: r for r, c in enumerate(signals.dense_top, start=1)}
    lexical_rank = {c: r for r, c in enumerate(signals.lexical_top, start=1)}
    in_dense = np.asarray([1.0 / dense_rank.get(c, np.inf) for c in signals.ids])
    in_lexical = np.asarray([1.0 / lexical_rank.get(c, np.inf) for c in signals.ids])
    best_lexical = float(lexical.max())
    unit, context = _best_units(signals, query_vec, dense)
    top = signals.lexical_top[0] if signals.lexical_top else None
    columns = {
        "dense": dense,
        "dense_gap": dense - dense.max(),
        "dense_reciprocal_rank": in_dense,
        "lexical": lexical / best_lexical if best_lexical > 0 else np.zeros(n),
        "lexical_reciprocal_rank": in_lexical,
        "lexical_best": np.asarray([float(c == top) for c in signals.ids]),
        "in_both": ((in_dense > 0) & (in_lexical > 0)).astype(np.float64),
        "unit": unit,
        "unit_gap": unit - unit.max(),
        "unit_context": context,
        "unit_context_gap": context - context.max(),
    }
    return np.column_stack([columns[name] for name in FUSION_FEATURES])


def _best_units(signals: Signals, query_vec: np.ndarray, dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's best evidence-unit cosine, and best cosine of a unit with its neighbours.

    A unit with its neighbours pools their tokens (see :meth:`UnitVectors.cosines`). Where some
    candidate has no unit vectors (an index partly built before they were kept), every candidate
    has its own cosine for both: a mix would favour the chunks that have them.
    """
    if not signals.ids or not all(len(signals.units.get(c, ())) for c in signals.ids):
        return dense.copy(), dense.copy()
    kept = [signals.units[c] for c in signals.ids]
    counts = [len(v) for v in kept]
    means = np.vstack([v.means for v in kept]).astype(np.float32)
    sums = means * np.concatenate([v.tokens for v in kept]).astype(np.float32)[:, None]
    owner = np.repeat(np.arange(len(kept)), counts)
    before = np.vstack([np.zeros_like(sums[:1]), sums[:-1]]) * (np.r_[-1, owner[:-1]] == owner)[:, None]
    after = np.vstack([sums[1:], np.zeros_like(sums[:1])]) * (np.r_[owner[1:], -1] == owner)[:, None]
    starts = np.cumsum([0, *counts[:-1]])
    best = np.maximum.reduceat(_cosines(means, query_vec), starts)
    return best, np.maximum.reduceat(_cosines(before + sums + after, query_vec), starts)


def _cosines(vectors: np.ndarray, query_vec: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1)
    return np.asarray(np.where(norms > 0, vectors @ query_vec / np.maximum(norms, 1e-12), 0.0), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class FusionCandidates:
    """One question's hybrid candidates: its language, each chunk and its document, their feature rows."""

    language: str
    chunk_ids: tuple[int, ...]
    doc_ids: tuple[str, ...]
    rows: np.ndarray


@dataclass(frozen=True, slots=True)
class FusionModel:
    """One linear scorer per question language, and where its weights came from."""

    scorers: Mapping[str, Linear]
    source: Mapping[str, Any]

    def scores(self, rows: np.ndarray, language: str) -> np.ndarray | None:
        """Return each candidate's score for a question in ``language``; None: no scorer (rank by cosine)."""
        scorer = self.scorers.get(language)
        return scorer(rows) if scorer is not None else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FusionModel:
        """Read the trainer's JSON; refuse weights made for other features."""
        scorers = {lang: Linear.from_dict(d, FUSION_FEATURES) for lang, d in data["scorers"].items()}
        return cls(scorers, dict(data.get("source", {})))


@cache
def load_fusion_model() -> FusionModel:
    """Return the shipped fusion model (``data/fusion_model.json``)."""
    text = resources.files("egov_qa").joinpath("data/fusion_model.json").read_text(encoding="utf-8")
    return FusionModel.from_dict(json.loads(text))
