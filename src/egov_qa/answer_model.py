"""The learned answer models: which sentence answers, and how likely it is that it does.

Two small linear models, trained by ``benchmarks/train_answer.py`` and shipped as plain JSON
(``data/answer_model.json``, with the data and commit that produced them):

- the **sentence scorer** (one for Indonesian questions, one for English questions asked of
  Indonesian text) ranks the candidate units of the retrieved passages from features
  of each unit: the model's cosines of the unit, of the unit with its neighbours and of its
  passage, the question's terms found in it and in its passage, whether it holds what the
  question type asks for (a date for Kapan, a number for Berapa, …), its position and length;
- the **calibrator** turns the features of the best unit into the probability that it answers
  the question (logistic: fitted on questions with and without an answer in the corpus).

The features read the model's cosines (a lexical-mode hit gets its passage cosine from the stored
vectors) and the words found, which every retrieval mode has, so the probability is on one scale
in every mode; the rank and gap features still depend on which passages the mode retrieved (the
models were trained on hybrid retrieval). An English question's cosines against Indonesian text run lower than
the same question's in Indonesian; they are raised by the measured gap before scoring.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from egov_qa.analysis import WORD, Span, analyze, is_acronym, word_terms
from egov_qa.analysis.qtypes import QTYPES, QType, question_type
from egov_qa.reading import Reading
from egov_qa.shortanswer import SHORT_ANSWER_TYPES, holds

_TYPE_FEATURES = [f"holds_{t}" for t in QTYPES if t != "other"]
UNIT_FEATURES: tuple[str, ...] = (
    "sentence", "context", "passage", "sentence_gap", "context_gap", "passage_gap", "inverse_rank",
    "terms_in_sentence", "terms_in_passage", "rare_terms_in_sentence", "new_words", "first_in_passage", "log_words",
    "short", *_TYPE_FEATURES, "reader", "reader_gap", "reader_in_passage",
)  # fmt: skip
CALIBRATION_FEATURES: tuple[str, ...] = (
    "score", "margin", "sentence", "context", "passage", "terms_in_sentence", "terms_in_passage",
    "missing_terms", "typed", "holds_type", "any_name_missing", "short_answer_found", "reader", "reader_best",
    "reader_in_passage", "passage_no_answer", "fewest_no_answer", "mean_no_answer", "any_answer", "passage_answer",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Linear:
    """weights · features + bias, with the feature names it expects."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """Return the linear score of each row (rows ordered as ``features``)."""
        return rows @ np.asarray(self.weights, dtype=np.float64) + self.bias

    @classmethod
    def from_dict(cls, data: dict[str, Any], expected: Sequence[str]) -> Linear:
        """Read a model written by the trainer; refuse one made for other features."""
        names = tuple(data["features"])
        if names != tuple(expected):
            raise ValueError(f"model features {names} do not match this egov-qa's {tuple(expected)}")
        return cls(names, tuple(float(w) for w in data["weights"]), float(data["bias"]))


@dataclass(frozen=True, slots=True)
class AnswerModel:
    """The sentence scorer, the calibrator, the answer threshold, and the short answers' cutoffs.

    ``threshold`` is the probability from which a question counts as answered;
    ``short_answer_cutoffs`` the confidence from which a question type's short answer is shown;
    ``without_reader`` the Indonesian and English scorers fitted without the reader's features
    (a search's highlights, and questions the reader does not read: see :func:`reads`), with
    their own calibrator and threshold.
    """

    scorer: Linear
    english_scorer: Linear | None
    without_reader: tuple[Linear, Linear | None]
    calibrator_without_reader: Linear
    threshold_without_reader: float
    calibrator: Linear
    threshold: float
    english_gap: float
    short_answer_cutoffs: dict[str, float]
    source: dict[str, Any]


@lru_cache(maxsize=1)
def load_answer_model() -> AnswerModel:
    """Return the shipped answer model (``data/answer_model.json``)."""
    text = resources.files("egov_qa").joinpath("data/answer_model.json").read_text(encoding="utf-8")
    return answer_model_from_dict(json.loads(text))


def answer_model_from_dict(data: dict[str, Any]) -> AnswerModel:
    """Build an AnswerModel from the trainer's JSON."""
    return AnswerModel(
        scorer=Linear.from_dict(data["scorer"], UNIT_FEATURES),
        english_scorer=Linear.from_dict(data["english_scorer"], UNIT_FEATURES) if "english_scorer" in data else None,
        # English questions are never read (see reads): their one scorer has no reader features
        without_reader=(
            Linear.from_dict(data["scorer_without_reader"], UNIT_FEATURES),
            Linear.from_dict(data["english_scorer"], UNIT_FEATURES) if "english_scorer" in data else None,
        ),
        calibrator=Linear.from_dict(data["calibrator"], CALIBRATION_FEATURES),
        threshold=float(data["threshold"]),
        calibrator_without_reader=Linear.from_dict(data["calibrator_without_reader"], CALIBRATION_FEATURES),
        threshold_without_reader=float(data["threshold_without_reader"]),
        english_gap=float(data["english_gap"]),
        short_answer_cutoffs={str(k): float(v) for k, v in data.get("short_answer_cutoffs", {}).items()},
        source=dict(data.get("source", {})),
    )


# the question types the reader saw too few of to read (each under 3 % of its training questions)
_UNREAD_TYPES = frozenset({"how", "why"})


def reads(question: str, language: str) -> bool:
    """Return whether the answer reader reads for this question: the kinds of question it was trained on.

    It was trained on Indonesian factoid questions (TyDi QA-id, IDK-MRC): an English question, or
    a how or why question (Bagaimana, Mengapa, Apa fungsi…), is answered without it. On the
    shipped corpus it declined "How can citizens file a complaint about public services?" and
    chose the wrong sentence for "Apa fungsi Nomor Induk Berusaha (NIB)?".
    """
    return language == "id" and question_type(question) not in _UNREAD_TYPES


@dataclass(frozen=True, slots=True)
class Candidates:
    """Every candidate unit of one question, with its features (one row each)."""

    hit: np.ndarray  # index of the unit's hit
    spans: list[Span]
    rows: np.ndarray  # (n, len(UNIT_FEATURES))
    qtype: QType
    question_terms: frozenset[str]
    groups: tuple[frozenset[str], ...]
    passage_terms: list[frozenset[str]]
    texts: list[str]
    name_terms: frozenset[str]


def name_terms(question: str, language: str = "id") -> frozenset[str]:
    """Return the terms of the question's names, acronyms and numbers (a capital after the first word).

    They say which thing the question is about: when a passage lacks one, it is likely about
    another thing (IDK-MRC's unanswerable questions often swap one name). An English question's
    capitalised words are English words ("Ministry"), not found in Indonesian text: only its
    acronyms and numbers count.
    """
    out: set[str] = set()
    for i, m in enumerate(WORD.finditer(question)):
        word = m.group()
        capital = language != "en" and i > 0 and word[:1].isupper()
        if any(c.isdigit() for c in word) or is_acronym(word) or capital:
            out.update(word_terms(word))
    return frozenset(out)


def _rarity(groups: Sequence[frozenset[str]], units: Sequence[frozenset[str]]) -> list[float]:
    """Weigh each term group by how rare it is among the candidate units (log(1 + n / units holding it)).

    The word that sets a question apart ("mikro" in "cara mengurus NIB untuk usaha mikro") is
    in few of the sentences the passages offer; the words every sentence shares tell little.
    """
    n = max(1, len(units))
    return [math.log(1 + n / max(1, sum(not g.isdisjoint(u) for u in units))) for g in groups]


def _weighted(groups: Sequence[frozenset[str]], weight: Sequence[float], found: frozenset[str]) -> float:
    total = sum(weight)
    return sum(w for g, w in zip(groups, weight, strict=True) if not g.isdisjoint(found)) / total if total else 0.0


def _share(groups: Sequence[frozenset[str]], found: frozenset[str]) -> float:
    """Return the share of the question's term groups with a term in ``found``."""
    return sum(not g.isdisjoint(found) for g in groups) / len(groups) if groups else 0.0


def candidates(
    question: str,
    groups: Sequence[frozenset[str]],
    texts: Sequence[str],
    ranks: Sequence[int],
    units: Sequence[Sequence[Span]],
    sentence: Sequence[np.ndarray],
    context: Sequence[np.ndarray],
    passage: Sequence[float],
    gap: float = 0.0,
    language: str = "id",
    reading: Sequence[Reading] | None = None,
) -> Candidates:
    """Compute the features of every unit of every hit.

    ``groups`` are the question's terms as they would occur in Indonesian text, one group per
    word or glossary term (an English word's group holds its Indonesian renderings: found when
    any one is found); ``gap`` is added to every cosine. ``reading`` is the answer reader's
    view of each hit (:mod:`egov_qa.reading`); without it (another embedding model) its features are 0.
    """
    qtype = question_type(question)
    groups = tuple(g for g in groups if g)
    terms = frozenset().union(*groups)
    all_s = [float(x) for s in sentence for x in s]
    all_c = [float(x) for c in context for x in c]
    best_s = max(all_s, default=0.0) + gap
    best_c = max(all_c, default=0.0) + gap
    best_p = max(passage, default=0.0) + gap
    rows: list[list[float]] = []
    pieces: list[str] = []
    hit_of: list[int] = []
    unit_terms = [[frozenset(analyze(text[s:e])) for s, e in us] for text, us in zip(texts, units, strict=True)]
    weight = _rarity(groups, [t for per in unit_terms for t in per])
    spans: list[Span] = []
    passage_terms: list[frozenset[str]] = []
    odds, in_passage_odds = _reader_features(reading, units)
    best_odds = max((float(o.max()) for o in odds if len(o)), default=0.0)
    for k, (text, rank, us) in enumerate(zip(texts, ranks, units, strict=True)):
        in_passage = frozenset(analyze(text))
        passage_terms.append(in_passage)
        p = float(passage[k]) + gap
        for i, (start, end) in enumerate(us):
            piece = text[start:end]
            pieces.append(piece)
            found = unit_terms[k][i]
            s, c = float(sentence[k][i]) + gap, float(context[k][i]) + gap
            n_words = max(1, len(piece.split()))
            new = len(found - terms) / len(found) if found else 0.0
            row = [
                s, c, p, s - best_s, c - best_c, p - best_p, 1.0 / rank,
                _share(groups, found), _share(groups, in_passage), _weighted(groups, weight, found), new,
                float(i == 0),
                math.log(n_words), float(n_words < 6),
            ]  # fmt: skip
            row += [float(qtype == t and holds(qtype, terms, piece)) for t in QTYPES if t != "other"]
            row += [float(odds[k][i]), float(odds[k][i]) - best_odds, float(in_passage_odds[k][i])]
            rows.append(row)
            hit_of.append(k)
            spans.append((start, end))
    matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(UNIT_FEATURES))
    return Candidates(
        np.asarray(hit_of, dtype=np.int64),
        spans,
        matrix,
        qtype,
        terms,
        groups,
        passage_terms,
        pieces,
        name_terms(question, language),
    )


def _reader_features(
    reading: Sequence[Reading] | None, units: Sequence[Sequence[Span]]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each unit's log-odds against its passage not answering, and its log-probability within its passage."""
    if reading is None:
        zeros = [np.zeros(len(us)) for us in units]
        return zeros, zeros
    if len(reading) != len(units) or any(len(r.units) != len(us) for r, us in zip(reading, units, strict=True)):
        raise ValueError("the reader's scores do not match the passages' units")
    odds = [r.odds() for r in reading]
    # log p(unit | passage) over "no answer" and the units: log-odds minus log(1 + Σ exp(log-odds))
    within = [o - np.logaddexp.reduce(np.concatenate([[0.0], o])) for o in odds]
    return odds, within


def calibration_row(cands: Candidates, scores: np.ndarray, best: int, runner_up: int | None) -> np.ndarray:
    """Return the calibrator's features of the best unit (``best``) given every unit's score."""
    row = cands.rows[best]
    f = dict(zip(UNIT_FEATURES, row, strict=True))
    in_passage = cands.passage_terms[int(cands.hit[best])]
    missing = sum(g.isdisjoint(in_passage) for g in cands.groups)
    any_name_missing = not cands.name_terms <= in_passage
    typed = cands.qtype in SHORT_ANSWER_TYPES
    holds_type = f.get(f"holds_{cands.qtype}", 0.0) if typed else 0.0
    margin = float(scores[best] - scores[runner_up]) if runner_up is not None else 5.0
    reader = _reader_summary(cands, best)
    values = {
        "score": float(scores[best]), "margin": min(margin, 5.0), "sentence": f["sentence"],
        "context": f["context"], "passage": f["passage"], "terms_in_sentence": f["terms_in_sentence"],
        "terms_in_passage": f["terms_in_passage"], "missing_terms": float(min(missing, 4)),
        "typed": float(typed), "holds_type": holds_type, "any_name_missing": float(any_name_missing),
        "short_answer_found": holds_type,  # holds() finds it as the short answer does
        "reader": f["reader"], "reader_in_passage": f["reader_in_passage"], **reader,
    }  # fmt: skip
    return np.asarray([values[name] for name in CALIBRATION_FEATURES], dtype=np.float64)


def _reader_summary(cands: Candidates, best: int) -> dict[str, float]:
    """Return what the reader says of the passages as a whole, for the calibrator.

    Per passage, the log-probability that it does not answer (1 − its units' probabilities):
    for the best unit's passage, the lowest and the mean over the passages; the log of the
    summed odds of every unit (``any_answer``) and of the best unit's passage's units.
    Measured by 5-fold cross-validation on the IDK-MRC train sample: abstention recall at the
    operating point 0.603 with these, 0.571 without.
    """
    odds = cands.rows[:, UNIT_FEATURES.index("reader")]
    within = cands.rows[:, UNIT_FEATURES.index("reader_in_passage")]
    hits = sorted(set(cands.hit.tolist()))
    no_answer = {k: math.log(max(1e-6, 1.0 - float(np.exp(within[cands.hit == k]).sum()))) for k in hits}
    mine = int(cands.hit[best])
    values = list(no_answer.values())
    return {
        "reader_best": float(odds.max()), "passage_no_answer": no_answer[mine], "fewest_no_answer": min(values),
        "mean_no_answer": sum(values) / len(values), "any_answer": float(np.logaddexp.reduce(odds)),
        "passage_answer": float(np.logaddexp.reduce(odds[cands.hit == mine])),
    }  # fmt: skip


def distinct(order: Sequence[int], texts: Sequence[str], limit: int) -> list[int]:
    """Return the first ``limit`` of ``order`` whose text (whitespace collapsed) has not come before.

    Overlapping passages repeat sentences: evidence and the calibrator's runner-up skip repeats.
    """
    chosen: list[int] = []
    seen: set[str] = set()
    for i in order:
        text = " ".join(texts[i].split())
        if text not in seen:
            seen.add(text)
            chosen.append(i)
            if len(chosen) == limit:
                break
    return chosen


def probability(logit: float) -> float:
    """Return the logistic function of ``logit``, safe for large magnitudes."""
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    z = math.exp(logit)
    return z / (1.0 + z)
