"""Train the answer models (sentence scorer, calibrator, threshold, short-answer types) and measure them on valid.

Reads the candidates collected by benchmarks/answer_data.py (no model call here):

    python benchmarks/answer_data.py tydi-train idk-train tydi-valid idk-valid   # once, ~40 min
    python benchmarks/train_answer.py --write                                     # seconds

Training data: TyDi QA-id train (500-question sample) and IDK-MRC train (3,000-question sample),
both asked with hybrid retrieval, top 5, against their pooled paragraphs, and every other answerable
how/why question of both train splits (172). The sentence scorer is fitted on the answerable
questions of all of them (a unit is positive when it holds a gold answer);
the calibrator and the threshold on IDK-MRC train only (positive: the question has an answer
and the top unit holds it); the short-answer cutoffs on TyDi and IDK-MRC train. Valid splits are only
measured. ``--write`` stores the models in src/egov_qa/data/answer_model.json with the data
and the commit; the measurements go to benchmarks/results/answer.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from bench_core import ROOT, head_commit, machine
from egov_qa import term_groups
from egov_qa.analysis import WORD
from egov_qa.analysis.qtypes import QTYPES
from egov_qa.answer_model import (
    CALIBRATION_FEATURES,
    UNIT_FEATURES,
    Candidates,
    calibration_row,
    candidates,
    distinct,
    reads,
)
from egov_qa.reading import Reading, weights_digest
from egov_qa.shortanswer import short_answer

DEFAULT_DATA = ROOT / "benchmarks" / "results" / "cache" / "answer"
DATA = {"folder": DEFAULT_DATA}  # --data: the engine's candidates
MODEL = ROOT / "src" / "egov_qa" / "data" / "answer_model.json"
RESULTS = ROOT / "benchmarks" / "results" / "answer.json"
# 85 % is asked for on valid; with ~380 answerable valid questions the answered share varies by
# about 1.8 points (one standard deviation), so the threshold is chosen for two more on train
MIN_ANSWERED_TRAIN = 0.89
# confidences without the reader from which reading_only_when_unsure skips the reader (measured, not shipped)
CASCADE_LEVELS = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4)
MIN_SHORT_PRECISION = 0.8  # on train, for 70 % on valid (0.75 gave 0.65 on valid: definitions fell from 0.76 to 0.61)
# python benchmarks/bench_qa.py --parts gap: the median Indonesian-minus-English cosine on NusaX
# pairs (mean of the sentence, context and passage medians)
ENGLISH_GAP = 0.0389
OLD = (0.5, 0.5, 0.5)  # the shipped fixed mix: sentence, context, retrieval score


def norm(text: str) -> str:
    return " ".join(text.split()).lower()


def contains(text: str, answers: list[str]) -> bool:
    flat = norm(text)
    return any(norm(a) and norm(a) in flat for a in answers)


class Question:
    """One collected question with its candidates' features and labels."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.question: str = row["question"]
        self.answers: list[str] = row["answers"]
        self.answerable: bool = row["answerable"]
        self.language: str = row["language"]
        hits = row["hits"]
        groups = term_groups(self.question, self.language)
        self.cands: Candidates = candidates(
            self.question, groups, [h["text"] for h in hits], [h["rank"] for h in hits],
            [[tuple(u) for u in h["units"]] for h in hits], [np.asarray(h["s"]) for h in hits],
            [np.asarray(h["c"]) for h in hits], [h["dense"] for h in hits],
            ENGLISH_GAP if self.language == "en" else 0.0, self.language,
            [Reading(np.asarray(h["r"]), h["null"]) for h in hits] if hits and "r" in hits[0] else None,
        )  # fmt: skip
        self.texts = [hits[int(k)]["text"][s:e] for k, (s, e) in zip(self.cands.hit, self.cands.spans, strict=True)]
        if row.get("translation"):  # right: the unit is the translation or a sentence of it
            self.labels = np.asarray([any(norm(t) in norm(a) or norm(a) in norm(t) for a in self.answers)
                                      for t in self.texts], dtype=float)  # fmt: skip
        else:
            self.labels = np.asarray([self.answerable and contains(t, self.answers) for t in self.texts], dtype=float)
        self.read = reads(self.question, self.language)
        self.old = np.asarray(
            [OLD[0] * hits[int(k)]["s"][j] + OLD[1] * hits[int(k)]["c"][j] + OLD[2] * hits[int(k)]["score"]
             for k, j in zip(self.cands.hit, self.unit_index(hits), strict=True)]
        )  # fmt: skip

    def as_served(self) -> Question:
        """The question as ``ask`` scores it: a question the reader does not read has its features zeroed."""
        return self if self.read else self.as_unread()

    def as_unread(self) -> Question:
        """A copy with the reader's features zeroed, as for a question the reader does not read."""
        out = copy.copy(self)
        out.cands = replace(self.cands, rows=unread(self.cands.rows))
        out.read = False
        return out

    def unit_index(self, hits: list[dict[str, Any]]) -> list[int]:
        out = []
        for k in range(len(hits)):
            out += list(range(len(hits[k]["units"])))
        return out

    def top(self, scores: np.ndarray) -> tuple[int, int | None]:
        """The best unit and the best one with different text (as ask picks distinct evidence)."""
        best, *runner = distinct([int(i) for i in np.argsort(-scores, kind="stable")], self.texts, 2)
        return best, runner[0] if runner else None


def load(name: str) -> list[Question]:
    path = DATA["folder"] / f"{name}.jsonl"
    if not path.is_file():
        sys.exit(f"{path} not found: run python benchmarks/answer_data.py {name}")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [q for q in map(Question, rows) if len(q.texts)]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method on standardised features; weights on the raw scale."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(z @ w)))
        grad = z.T @ (p - y) + penalty * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[:-1] / scale
    return weights, float(w[-1] - (w[:-1] * mean / scale).sum())


def fit_listwise(groups: list[np.ndarray], labels: list[np.ndarray], l2: float = 1.0) -> tuple[np.ndarray, float]:
    """A linear scorer trained per question: softmax over its candidate units, cross-entropy with the positives.

    Measured against pointwise logistic regression by 5-fold cross-validation on the TyDi train
    sample: 0.622 vs 0.596 top evidence holds the answer. The bias cannot matter within a
    question; it is 0.
    """
    stacked = np.vstack(groups)
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0)
    scale[scale == 0] = 1.0
    standard = [(g - mean) / scale for g in groups]
    targets = [y / y.sum() for y in labels]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * l2 * float(w @ w), l2 * w
        for z, t in zip(standard, targets, strict=True):
            s = z @ w
            s -= s.max()
            p = np.exp(s) / np.exp(s).sum()
            total -= float(t @ np.log(p + 1e-12))
            grad = grad + z.T @ (p - t)
        return total, grad

    w = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B").x
    return w / scale, 0.0


READER_COLUMNS = [i for i, name in enumerate(UNIT_FEATURES) if name.startswith("reader")]


def unread(rows: np.ndarray) -> np.ndarray:
    """The rows with the reader's features zeroed: what a search's highlights and unread questions are scored from."""
    out = rows.copy()
    out[:, READER_COLUMNS] = 0.0
    return out


def score(weights: np.ndarray, bias: float, x: np.ndarray) -> np.ndarray:
    return x @ weights + bias


Weights = tuple[np.ndarray, float]


def ranked(q: Question, scorer: Weights, english: Weights | None) -> np.ndarray:
    """The scores ask ranks a question's units by: the English scorer's for an English question."""
    return score(*(english if english is not None and q.language == "en" else scorer), q.cands.rows)


def top_accuracy(questions: list[Question], scores: list[np.ndarray]) -> float:
    return float(np.mean([q.labels[q.top(s)[0]] for q, s in zip(questions, scores, strict=True)]))


def calibration_set(
    questions: list[Question], scorer: Weights, english: Weights | None = None
) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for q in questions:
        s = score(*scorer, q.cands.rows)
        best, runner = q.top(ranked(q, scorer, english))
        rows.append(calibration_row(q.cands, s, best, runner))
        labels.append(q.labels[best])
    return np.asarray(rows), np.asarray(labels)


def probabilities(calibrator: tuple[np.ndarray, float], rows: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-score(*calibrator, rows)))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error over equal-width bins, and the table behind it."""
    table, ece = [], 0.0
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in zip(edges, edges[1:], strict=False):
        inside = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if not inside.any():
            continue
        mean_p, rate = float(p[inside].mean()), float(y[inside].mean())
        ece += inside.sum() / len(p) * abs(mean_p - rate)
        table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(inside.sum()), "mean_probability": mean_p, "right": rate})
    return float(ece), table


def abstention(p: np.ndarray, questions: list[Question], threshold: float | np.ndarray) -> dict[str, Any]:
    answerable = np.asarray([q.answerable for q in questions])
    declined = p < threshold
    said = int(declined.sum())
    right = int((declined & ~answerable).sum())
    return {
        "threshold": threshold if isinstance(threshold, float) else None,
        "answered_share_of_answerable": float(1 - declined[answerable].mean()),
        "abstention_precision": right / said if said else 0.0,
        "abstention_recall": right / int((~answerable).sum()) if (~answerable).any() else 0.0,
        "declined_share": float(declined.mean()),
    }


class Fitted:
    """The answer model as ``ask`` applies it: read questions one way, the others without the reader.

    English questions are never read: ``english`` is their one scorer.
    """

    def __init__(
        self,
        scorer: Weights,
        plain: Weights,
        english: Weights,
        calibrator: Weights,
        calibrator_plain: Weights,
        threshold: float,
        threshold_plain: float,
    ) -> None:
        self.read = (scorer, english, calibrator, threshold)
        self.unread = (plain, english, calibrator_plain, threshold_plain)

    def ranking(self, questions: list[Question]) -> list[np.ndarray]:
        out = []
        for q in questions:
            scorer, english, _, _ = self.read if q.read else self.unread
            out.append(ranked(q.as_served(), scorer, english))
        return out

    def judge(self, questions: list[Question]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each question's confidence, whether its top unit is right, and its threshold."""
        p, right, limits = [], [], []
        for q in questions:
            scorer, english, calibrator, limit = self.read if q.read else self.unread
            rows, labels = calibration_set([q.as_served()], scorer, english)
            p.append(float(probabilities(calibrator, rows)[0]))
            right.append(float(labels[0]))
            limits.append(limit)
        return np.asarray(p), np.asarray(right), np.asarray(limits)

    def short_spans(self, questions: list[Question], p: np.ndarray) -> list[tuple[str, float, float, float]]:
        out = []
        for q, prob in zip(questions, p, strict=True):
            scorer, english, _, _ = self.read if q.read else self.unread
            out += short_spans([q.as_served()], scorer, np.asarray([prob]), english)
        return out

    def cascade(
        self, questions: list[Question], served: tuple[np.ndarray, ...], levels: tuple[float, ...]
    ) -> dict[str, dict[str, float]]:
        """Read a question only when its confidence without the reader is under h (a way to save the reader's time).

        ``served`` is :meth:`judge` of ``questions``. For each h: the share of the read questions
        that would skip the reader, the top evidence of the answerable questions, and the answered
        share and abstention recall at the thresholds.
        """
        alone = self.judge([q.as_unread() for q in questions])  # an unread copy is judged without the reader
        read = np.asarray([q.read for q in questions])
        answerable = np.asarray([q.answerable for q in questions])
        out = {}
        for h in levels:
            skip = ~read | (alone[0] >= h)
            p, right, limit = (np.where(skip, a, b) for a, b in zip(alone, served, strict=True))
            out[f"{h:.1f}"] = {
                "skipped_share_of_read": float(skip[read].mean()) if read.any() else 0.0,
                "top_evidence_of_answerable": float(right[answerable].mean()),
                **abstention(p, questions, limit),
            }
        return out


def pick_threshold(p: np.ndarray, questions: list[Question]) -> float:
    """The highest threshold that still answers MIN_ANSWERED_TRAIN of the answerable questions."""
    for t in sorted(set(np.round(p, 4)), reverse=True):
        if abstention(p, questions, float(t))["answered_share_of_answerable"] >= MIN_ANSWERED_TRAIN:
            return float(t)
    return 0.0


def token_f1(pred: str, gold: str) -> float:
    """SQuAD-style token F1 over words (punctuation, dashes and brackets are not tokens)."""
    a, b = WORD.findall(pred.lower()), WORD.findall(gold.lower())
    common = sum(min(a.count(w), b.count(w)) for w in set(a))
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def short_spans(
    questions: list[Question], scorer: Weights, p: np.ndarray, english: Weights | None = None
) -> list[tuple[str, float, float, float]]:
    """(question type, confidence, exact match, F1) of each question whose top unit yields a short answer.

    A short answer to a question without an answer counts as wrong (0, 0).
    """
    out = []
    for q, prob in zip(questions, p, strict=True):
        best, _ = q.top(ranked(q, scorer, english))
        text = q.texts[best]
        span = short_answer(q.cands.qtype, q.cands.question_terms, text)
        if span is None:
            continue
        pred = text[span[0] : span[1]]
        if not q.answerable:  # a short answer to a question with no answer is wrong
            out.append((q.cands.qtype, float(prob), 0.0, 0.0))
            continue
        em = max(float(norm(pred) == norm(a)) for a in q.answers)
        out.append((q.cands.qtype, float(prob), em, max(token_f1(pred, a) for a in q.answers)))
    return out


def pick_cutoffs(spans: list[tuple[str, float, float, float]], threshold: float) -> dict[str, float]:
    """Per question type, the lowest confidence (not under the answer threshold) from which at least
    MIN_SHORT_PRECISION of the short answers are right (F1 >= 0.5), over at least 15 of them."""
    cutoffs = {}
    for qtype in QTYPES:
        mine = sorted((p, f1 >= 0.5) for t, p, _, f1 in spans if t == qtype and p >= threshold)
        for i, (p, _) in enumerate(mine):
            rest = [r for _, r in mine[i:]]
            if len(rest) >= 15 and np.mean(rest) >= MIN_SHORT_PRECISION:
                cutoffs[qtype] = round(p, 4)
                break
    return cutoffs


def shown_report(
    spans: list[tuple[str, float, float, float]], threshold: float, cutoffs: dict[str, float]
) -> dict[str, Any]:
    """Exact match, F1 and share right of every span found (answered questions) and of the ones shown."""

    def stats(rows: list[tuple[str, float, float, float]]) -> dict[str, float]:
        return {"spans": len(rows), "exact_match": float(np.mean([r[2] for r in rows])) if rows else 0.0,
                "f1": float(np.mean([r[3] for r in rows])) if rows else 0.0,
                "right": float(np.mean([r[3] >= 0.5 for r in rows])) if rows else 0.0}  # fmt: skip

    answered = [r for r in spans if r[1] >= threshold]
    shown = [r for r in answered if r[0] in cutoffs and r[1] >= cutoffs[r[0]]]
    return {
        "found_when_answered": {
            t: stats([r for r in answered if r[0] == t]) for t in QTYPES if t not in ("why", "how", "other")
        },
        "shown": stats(shown),
        "shown_by_type": {t: stats([r for r in shown if r[0] == t]) for t in cutoffs},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="store the models in src/egov_qa/data/answer_model.json")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="answer_data.py's folder for the engine")
    parser.add_argument("--english-gap", type=float, default=ENGLISH_GAP, help="bench_qa.py --parts gap, same engine")
    args = parser.parse_args()
    DATA["folder"] = args.data.resolve()
    tydi_train, idk_train = load("tydi-train"), load("idk-train")
    how_why = load("tydi-howwhy") + load("idk-howwhy")
    answerable_train = [q for q in tydi_train + idk_train + how_why if q.answerable and q.labels.any()]
    labels = [q.labels for q in answerable_train]
    scorer = fit_listwise([q.cands.rows for q in answerable_train], labels, args.l2)
    plain = fit_listwise([unread(q.cands.rows) for q in answerable_train], labels, args.l2)
    y = np.concatenate([q.labels for q in answerable_train])
    nusax_train = [q for q in load("nusax-train") if q.language == "en" and q.labels.any()]
    # English questions: trained on NusaX translations alone (with the Indonesian QA questions added it
    # did worse on NTREX, 0.668 vs 0.688 on 600 sentences, and on English questions of the shipped corpus)
    # the reader does not read English questions (see answer_model.reads): their scorer has no reader features
    english = fit_listwise([unread(q.cands.rows) for q in nusax_train], [q.labels for q in nusax_train], args.l2)
    # the questions the reader reads get the calibrator fitted on them; every other question is answered as
    # before the reader: the scorers and a calibrator fitted without its features, on all the questions
    read_train = [q for q in idk_train if q.read]
    cal_x, cal_y = calibration_set(read_train, scorer, english)
    calibrator = fit_logistic(cal_x, cal_y, args.l2)
    threshold = pick_threshold(probabilities(calibrator, cal_x), read_train)
    unread_train = [q.as_unread() for q in idk_train]
    plain_x, plain_y = calibration_set(unread_train, plain, english)
    calibrator_plain = fit_logistic(plain_x, plain_y, args.l2)
    threshold_plain = pick_threshold(probabilities(calibrator_plain, plain_x), unread_train)
    fitted = Fitted(scorer, plain, english, calibrator, calibrator_plain, threshold, threshold_plain)
    p_train, cal_y, limits_train = fitted.judge(idk_train)
    p_tydi, _, _ = fitted.judge(tydi_train)
    spans_train = fitted.short_spans(tydi_train, p_tydi) + fitted.short_spans(idk_train, p_train)
    cutoffs = pick_cutoffs(spans_train, max(threshold, threshold_plain))

    results: dict[str, Any] = {"machine": machine(), "commit": head_commit()}
    results["train"] = {
        "tydi_top_evidence": {"old": top_accuracy(tydi_train, [q.old for q in tydi_train]),
                              "learned": top_accuracy(tydi_train, fitted.ranking(tydi_train))},
        "idk": abstention(p_train, idk_train, limits_train),
        "idk_read": abstention(probabilities(calibrator, cal_x), read_train, threshold),
        "ece": reliability(p_train, cal_y)[0],
        "short_answer": shown_report(spans_train, max(threshold, threshold_plain), cutoffs),
    }  # fmt: skip
    valid: dict[str, Any] = {}
    for name in ("tydi-valid", "idk-valid"):
        path = DATA["folder"] / f"{name}.jsonl"
        if not path.is_file():
            print(f"{name}: not collected yet", file=sys.stderr)
            continue
        qs = load(name)
        p, labels, limits = fitted.judge(qs)
        ece, table = reliability(p, labels)
        answerable = [q for q in qs if q.answerable]
        entry: dict[str, Any] = {
            "questions": len(qs),
            "top_evidence_holds_answer": {
                "old": top_accuracy(answerable, [q.old for q in answerable]),
                "learned": top_accuracy(answerable, fitted.ranking(answerable)),
                "reader_everywhere": top_accuracy(answerable, [ranked(q, scorer, english) for q in answerable]),
                "learned_without_reader": top_accuracy(
                    answerable, [ranked(q.as_unread(), plain, english) for q in answerable]
                ),
                "reader_alone": top_accuracy(answerable, [q.cands.rows[:, READER_COLUMNS[0]] for q in answerable]),
            },
            "ece": ece,
            "reliability": table,
            "at_threshold": abstention(p, qs, limits),
            "reading_only_when_unsure": fitted.cascade(qs, (p, labels, limits), CASCADE_LEVELS),
        }
        if name == "tydi-valid":
            entry["short_answer"] = shown_report(fitted.short_spans(qs, p), max(threshold, threshold_plain), cutoffs)
        valid[name] = entry
    nusax_valid = [q for q in load("nusax-valid") if q.language == "en"]
    sentence_only = (np.eye(len(UNIT_FEATURES))[0], 0.0)
    valid["nusax-valid"] = {
        "questions": len(nusax_valid),
        "top_evidence_is_the_translation": {
            name: top_accuracy(nusax_valid, [score(*w, q.cands.rows) for q in nusax_valid])
            for name, w in (
                ("sentence_cosine", sentence_only),
                ("indonesian_scorer", scorer),
                ("english_scorer", english),
            )
        },
    }
    results["train"]["nusax_top_evidence"] = {
        name: top_accuracy(nusax_train, [score(*w, q.cands.rows) for q in nusax_train])
        for name, w in (("sentence_cosine", sentence_only), ("indonesian_scorer", scorer), ("english_scorer", english))
    }
    results["valid"] = valid
    model = {
        "scorer": {"features": list(UNIT_FEATURES), "weights": scorer[0].tolist(), "bias": scorer[1]},
        "english_scorer": {"features": list(UNIT_FEATURES), "weights": english[0].tolist(), "bias": english[1]},
        "scorer_without_reader": {"features": list(UNIT_FEATURES), "weights": plain[0].tolist(), "bias": plain[1]},
        "calibrator": {
            "features": list(CALIBRATION_FEATURES),
            "weights": calibrator[0].tolist(),
            "bias": calibrator[1],
        },
        "threshold": threshold,
        "calibrator_without_reader": {
            "features": list(CALIBRATION_FEATURES),
            "weights": calibrator_plain[0].tolist(),
            "bias": calibrator_plain[1],
        },
        "threshold_without_reader": threshold_plain,
        "english_gap": args.english_gap,
        "short_answer_cutoffs": cutoffs,
        "source": {
            "command": "python benchmarks/answer_data.py && python benchmarks/train_answer.py --write "
            f"--data {DATA['folder'].relative_to(ROOT)} --english-gap {args.english_gap}",
            "data": "TyDi QA-id train (500-question sample, seed 0) and IDK-MRC train (3,000, seed 1), plus "
            f"their other answerable how/why questions ({len(how_why)}) for the scorer only; ../shared/data; "
            "hybrid retrieval, top 5, pooled paragraphs",
            "scorer_examples": int(len(y)),
            "english_scorer": "NusaX train: each English sentence asked against passages of 5 Indonesian rows "
            f"({len(nusax_train)} questions; the answer is its translation)",
            "calibration_questions": len(idk_train),
            "reader_weights": weights_digest(),
            "l2": args.l2,
            "commit": results["commit"],
        },
    }
    print(json.dumps(results, indent=1))
    RESULTS.write_text(json.dumps(results, indent=2))
    if args.write:
        MODEL.write_text(json.dumps(model, indent=1) + "\n")
        print(f"wrote {MODEL}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
