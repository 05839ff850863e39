"""Q&A benchmark through the product's own `Index.ask`: evidence accuracy, calibration, abstention, short answers.

Run from the repository root with the real default model, after benchmarks/answer_data.py has
built the cached indexes (its vector cache makes this run take minutes, not hours):

    python benchmarks/bench_qa.py --out benchmarks/results/qa.json

Parts (``--parts``, comma-separated):
- ``tydi``: TyDi QA-id valid (402 questions, pooled 4,264 paragraphs, hybrid, top 5): the top
  evidence holds a gold answer; short answers (exact match, F1, share right) where ask shows them.
- ``idk``: IDK-MRC valid (all 764, pooled train+valid paragraphs): answered share of answerable
  questions, abstention precision and recall at the shipped threshold; expected calibration error
  and the reliability table of ``Answer.confidence`` (right = answerable and top evidence holds it).
- ``gap``: how much lower an English question's cosines run against Indonesian text (NusaX valid
  rows asked both ways against the IDK-MRC paragraphs): the offset the answer model adds.
- ``ntrex``: NTREX-128, each English sentence asked against the Indonesian documents: the top
  evidence is its translation.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from answer_data import CACHE, idk_docs, idk_rows, open_index, tydi_rows
from bench_core import DATA, ROOT, machine, ntrex_data, tydi_data
from egov_qa import BACKENDS, Index
from egov_qa.embedding import load_embedder
from embed_cache import CachedEmbedder
from train_answer import contains, norm, reliability, token_f1

TOP_K = 5


def tydi_part(index: Index) -> dict[str, Any]:
    rows = tydi_rows("valid")
    right = shown = shown_right = 0
    em, f1 = [], []
    for row in rows:
        answer = index.ask(row["question"], top_k=TOP_K, threshold=0.0)
        right += bool(answer.evidence) and contains(answer.evidence[0].text, row["answers"])
        shipped = answer.confidence >= index.answer_threshold
        if answer.short_answer and shipped:
            shown += 1
            em.append(max(float(norm(answer.short_answer) == norm(a)) for a in row["answers"]))
            f1.append(max(token_f1(answer.short_answer, a) for a in row["answers"]))
            shown_right += f1[-1] >= 0.5
    return {
        "questions": len(rows),
        "top_evidence_holds_answer": right / len(rows),
        "short_answers_shown": shown,
        "short_answer_shown_share": shown / len(rows),
        "short_answer_exact_match": float(np.mean(em)) if em else 0.0,
        "short_answer_f1": float(np.mean(f1)) if f1 else 0.0,
        "short_answer_right": shown_right / shown if shown else 0.0,
    }


def idk_part(index: Index) -> dict[str, Any]:
    rows = idk_rows("valid")
    probabilities, labels, answerable, answered = [], [], [], []
    for row in rows:
        answer = index.ask(row["question"], top_k=TOP_K, threshold=0.0)
        probabilities.append(answer.confidence)
        labels.append(float(row["answerable"] and contains(answer.evidence[0].text, row["answers"])))
        answerable.append(row["answerable"])
        answered.append(answer.confidence >= index.answer_threshold)
    p, y = np.asarray(probabilities), np.asarray(labels)
    ok, said = np.asarray(answerable), np.asarray(answered)
    ece, table = reliability(p, y)
    declined = ~said
    return {
        "questions": len(rows),
        "answerable": int(ok.sum()),
        "threshold": index.answer_threshold,
        "answered_share_of_answerable": float(said[ok].mean()),
        "abstention_precision": float((declined & ~ok).sum() / max(1, declined.sum())),
        "abstention_recall": float((declined & ~ok).sum() / max(1, (~ok).sum())),
        "answered_and_right": float((said & (y == 1)).sum() / max(1, said.sum())),
        "ece": ece,
        "reliability": table,
    }


def gap_part(index: Index) -> dict[str, Any]:
    """Median difference (Indonesian minus English) of the best unit, context and passage cosines."""
    rows = list(csv.DictReader((DATA / "nusax_mt" / "valid.csv").open(encoding="utf-8")))
    gaps: dict[str, list[float]] = {"sentence": [], "context": [], "passage": []}
    for row in rows:
        best = {}
        for lang in ("indonesian", "english"):
            result = index.search(row[lang], top_k=TOP_K, mode="dense", highlight=False)
            (qvec,) = index.embedder.embed_queries([row[lang].strip()])
            _, s, c = index.unit_cosines(result.hits, qvec, result.language)
            best[lang] = (max(float(x.max()) for x in s if len(x)), max(float(x.max()) for x in c if len(x)),
                          max(index.dense_scores(result.hits, qvec)))  # fmt: skip
        for i, name in enumerate(gaps):
            gaps[name].append(best["indonesian"][i] - best["english"][i])
    return {
        "pairs": len(rows),
        **{f"median_gap_{k}": float(np.median(v)) for k, v in gaps.items()},
        "median_gap_mean_of_three": float(np.mean([np.median(v) for v in gaps.values()])),
        "share_english_lower_sentence": float(np.mean([g > 0 for g in gaps["sentence"]])),
    }


def ntrex_part(index: Index) -> dict[str, Any]:
    folder = DATA / "ntrex128_eng_ind"
    eng = (folder / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    ind = (folder / "newstest2019-ref.ind.txt").read_text(encoding="utf-8").splitlines()
    exact = contained = 0
    for en, idn in zip(eng, ind, strict=True):
        answer = index.ask(en, top_k=TOP_K, threshold=0.0)
        top = " ".join(answer.evidence[0].text.split()) if answer.evidence else ""
        target = " ".join(idn.split())
        exact += top == target
        contained += bool(top) and (target in top or top in target)
    return {
        "n": len(eng),
        "top_evidence_is_the_translation": exact / len(eng),
        "top_evidence_overlaps_translation": contained / len(eng),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "qa.json")
    parser.add_argument("--parts", default="tydi,idk,gap,ntrex")
    parser.add_argument("--backend", choices=BACKENDS, help="engine (default: the product's default for the model)")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    emb = CachedEmbedder(load_embedder(backend=args.backend), CACHE / "vectors.sqlite")
    results: dict[str, Any] = {"machine": machine(), "engine": emb.backend}

    def save(key: str, value: Any) -> None:
        results[key] = value
        print(json.dumps({key: value}, indent=1), flush=True)
        args.out.write_text(json.dumps(results, indent=2))

    parts = args.parts.split(",")
    if "tydi" in parts:
        save("tydi", tydi_part(open_index("tydi", tydi_data()[0], emb)))
    if "idk" in parts:
        save("idk_mrc_pooled", idk_part(open_index("idk", idk_docs(), emb)))
    if "gap" in parts:
        save("language_gap", gap_part(open_index("idk", idk_docs(), emb)))
    if "ntrex" in parts:
        save("ntrex_evidence", ntrex_part(open_index("ntrex", ntrex_data()[0], emb)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
