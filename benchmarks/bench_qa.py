"""Q&A benchmark: answer-sentence accuracy, no-answer calibration and cross-lingual evidence.

Run from the repository root with the real default model (tens of minutes on 2 cores):

    python benchmarks/bench_qa.py --out benchmarks/results/qa.json

Parts: TyDi QA-id (evidence weights chosen on a train sample, accuracy on valid, next to a
word-overlap baseline), IDK-MRC (threshold chosen on train, abstention precision/recall on
valid; own paragraph and pooled corpus) and NTREX-128 (English sentence -> its Indonesian
translation as top evidence). Indexes are cached in benchmarks/results/cache/.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench_core import DATA, ROOT, machine, ntrex_data, tydi_data
from egov_qa import Document, EvidenceWeights, Index, build_index, load_index, question_terms, term_spans
from egov_qa.chunking import split_sentences
from egov_qa.embedding import SentenceTransformerEmbedder, load_embedder
from egov_qa.evidence import evidence_units

CACHE = ROOT / "benchmarks" / "results" / "cache"
WEIGHTS = {
    "sentence": EvidenceWeights(1.0, 0.0, 0.0),
    "sentence+passage": EvidenceWeights(1.0, 0.0, 0.5),
    "sentence+context": EvidenceWeights(0.5, 0.5, 0.0),
    "sentence+context+passage": EvidenceWeights(0.5, 0.5, 0.5),
    "0.7sentence+0.3context": EvidenceWeights(0.7, 0.3, 0.0),
}
TOP_K = 5
# the numbers in docs/BENCHMARKS.md were measured on embedding retrieval; hybrid is measured in bench_hybrid.py
MODE = "dense"


def cached_index(name: str, docs: list[Document], emb: SentenceTransformerEmbedder) -> Index:
    folder = CACHE / name
    t = time.perf_counter()
    report = build_index(docs, folder, embedder=emb)
    print(
        f"  index {name}: {report.total_chunks} chunks "
        f"({report.chunks_embedded} embedded now, {time.perf_counter() - t:.0f} s)",
        flush=True,
    )
    return load_index(folder, embedder=emb)


def overlap_baseline(question: str, hit_text: str, spans: list[tuple[int, int]]) -> str:
    """The top hit's sentence with the most question words (shared index terms); first on ties."""
    wanted = question_terms(question)
    best, best_n = "", -1
    for s, e in spans:
        n = len(term_spans(hit_text[s:e], wanted))
        if n > best_n:
            best, best_n = hit_text[s:e], n
    return best


def contains(evidence: str, answers: list[str]) -> bool:
    flat = " ".join(evidence.split()).lower()
    return any(" ".join(a.split()).lower() in flat for a in answers)


def tydi_questions(split: str) -> list[tuple[str, list[str]]]:
    rows = json.loads((DATA / "tydiqa_id" / f"{split}.json").read_text(encoding="utf-8"))
    return [(qa["question"], [a["text"] for a in qa["answers"]]) for item in rows for qa in item["qas"]]


def evidence_accuracy(index: Index, questions: list[tuple[str, list[str]]]) -> dict[str, Any]:
    right = dict.fromkeys(WEIGHTS, 0)
    baseline = 0
    for question, answers in questions:
        for name, w in WEIGHTS.items():
            answer = index.ask(question, top_k=TOP_K, threshold=float("-inf"), weights=w, mode=MODE)
            right[name] += bool(answer.evidence) and contains(answer.evidence[0].text, answers)
        hits = answer.hits
        if hits:
            units = evidence_units(hits[0].text, hits[0].sentences)
            baseline += contains(overlap_baseline(question, hits[0].text, units), answers)
    n = len(questions)
    return {"n": n, "baseline_top_hit_word_overlap": baseline / n, **{k: v / n for k, v in right.items()}}


def abstention(conf_ans: list[float], conf_unans: list[float], threshold: float) -> dict[str, float]:
    """Precision and recall of saying "not found" (the positive class: unanswerable)."""
    abstain_unans = sum(c < threshold for c in conf_unans)
    abstain_ans = sum(c < threshold for c in conf_ans)
    said = abstain_unans + abstain_ans
    precision = abstain_unans / said if said else 0.0
    recall = abstain_unans / len(conf_unans) if conf_unans else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": threshold, "precision": precision, "recall": recall, "f1": f1,
            "answered_share_of_answerable": 1 - abstain_ans / len(conf_ans)}  # fmt: skip


MIN_ANSWERED = 0.8


def pick_threshold(conf_ans: list[float], conf_unans: list[float], min_answered: float = 0.0) -> float:
    """The threshold with the best abstention F1 among those that still answer `min_answered` of the answerable."""
    candidates = sorted(set(np.round(conf_ans + conf_unans, 4)))
    share = "answered_share_of_answerable"
    allowed = [t for t in candidates if abstention(conf_ans, conf_unans, t)[share] >= min_answered]
    return float(max(allowed or candidates[:1], key=lambda t: abstention(conf_ans, conf_unans, t)["f1"]))


def thresholds(train: tuple[list[float], list[float]], valid: tuple[list[float], list[float]]) -> dict[str, Any]:
    """Both criteria, chosen on train and measured on valid."""
    out: dict[str, Any] = {}
    for name, floor in (("f1_best", 0.0), (f"f1_best_answering_{MIN_ANSWERED:.0%}", MIN_ANSWERED)):
        t = pick_threshold(*train, min_answered=floor)
        out[name] = {"train": abstention(*train, t), "valid": abstention(*valid, t)}
    return out


def idk_rows(split: str, limit: int | None, seed: int = 0) -> list[tuple[str, str, bool]]:
    rows = json.loads((DATA / "idk_mrc" / f"{split}.json").read_text(encoding="utf-8"))
    items = [(qa["question"], item["context"], bool(qa["is_impossible"])) for item in rows for qa in item["qas"]]
    if limit and len(items) > limit:
        items = random.Random(seed).sample(items, limit)
    return items


def own_paragraph_confidence(
    emb: SentenceTransformerEmbedder, rows: list[tuple[str, str, bool]], w: EvidenceWeights
) -> tuple[list[float], list[float]]:
    """Confidence of the best unit of each question's own paragraph, computed as ask does."""
    paragraphs = sorted({ctx for _, ctx, _ in rows})
    texts, windows, bounds = [], [], {}
    for p in paragraphs:
        units = evidence_units(p, [(s.start, s.end) for s in split_sentences(p)])
        bounds[p] = (len(texts), len(texts) + len(units))
        texts += [p[s:e] for s, e in units]
        windows += [p[units[max(0, i - 1)][0] : units[min(len(units) - 1, i + 1)][1]] for i in range(len(units))]
    u = emb.embed_passages(texts)
    c = emb.embed_passages(windows) if w.context else np.zeros_like(u)
    pv = dict(zip(paragraphs, emb.embed_passages(paragraphs), strict=True)) if w.passage else {}
    q = emb.embed_queries([question for question, _, _ in rows])
    ans, unans = [], []
    for (_, ctx, impossible), qv in zip(rows, q, strict=True):
        a, b = bounds[ctx]
        passage = float(pv[ctx] @ qv) if w.passage else 0.0
        conf = float(np.max(w.sentence * (u[a:b] @ qv) + w.context * (c[a:b] @ qv) + w.passage * passage))
        (unans if impossible else ans).append(conf)
    return ans, unans


def pooled_confidence(
    index: Index, rows: list[tuple[str, str, bool]], w: EvidenceWeights
) -> tuple[list[float], list[float]]:
    ans, unans = [], []
    for question, _, impossible in rows:
        answer = index.ask(question, top_k=TOP_K, threshold=float("-inf"), weights=w, mode=MODE)
        (unans if impossible else ans).append(answer.confidence)
    return ans, unans


def language_gap(index: Index, w: EvidenceWeights) -> dict[str, Any]:
    """How much lower an English question's confidence is than the same question in Indonesian.

    NusaX valid rows (the same sentence in Indonesian and English) are asked, both ways, against
    the pooled IDK-MRC paragraphs, which contain neither; the median difference is the offset
    applied to the threshold of English questions.
    """
    rows = list(csv.DictReader((DATA / "nusax_mt" / "valid.csv").open(encoding="utf-8")))
    gaps = []
    for row in rows:
        conf = [index.ask(row[lang], top_k=TOP_K, threshold=float("-inf"), weights=w, mode=MODE).confidence
                for lang in ("indonesian", "english")]  # fmt: skip
        gaps.append(conf[0] - conf[1])
    return {
        "pairs": len(gaps),
        "median_gap": float(np.median(gaps)),
        "mean_gap": float(np.mean(gaps)),
        "share_english_lower": float(np.mean([g > 0 for g in gaps])),
    }


def ntrex_evidence(index: Index, w: EvidenceWeights) -> dict[str, Any]:
    folder = DATA / "ntrex128_eng_ind"
    eng = (folder / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    ind = (folder / "newstest2019-ref.ind.txt").read_text(encoding="utf-8").splitlines()
    exact = contained = 0
    for en, idn in zip(eng, ind, strict=True):
        answer = index.ask(en, top_k=TOP_K, threshold=float("-inf"), weights=w, mode=MODE)
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
    parser.add_argument("--train-questions", type=int, default=300, help="TyDi train sample for choosing weights")
    parser.add_argument("--idk-train", type=int, default=1500, help="IDK-MRC train sample for the threshold")
    parser.add_argument("--idk-pooled", type=int, default=300, help="IDK-MRC train and valid samples asked on the pool")
    parser.add_argument("--parts", default="tydi,idk,gap,ntrex")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    emb = load_embedder()
    assert isinstance(emb, SentenceTransformerEmbedder)
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    results["machine"] = machine()
    parts = args.parts.split(",")

    def save(key: str, value: Any) -> None:
        results[key] = value
        print(json.dumps({key: value}, indent=2), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))

    best = EvidenceWeights()
    if "tydi" in parts:
        print("== tydi", flush=True)
        index = cached_index("tydi", tydi_data()[0], emb)
        train = random.Random(0).sample(tydi_questions("train"), args.train_questions)
        on_train = evidence_accuracy(index, train)
        chosen = max(WEIGHTS, key=lambda k: on_train[k])
        best = WEIGHTS[chosen]
        save(
            "tydi_evidence",
            {
                "chosen_on_train": chosen,
                "train_sample": on_train,
                "valid": evidence_accuracy(index, tydi_questions("valid")),
            },
        )
    else:
        chosen = results.get("tydi_evidence", {}).get("chosen_on_train", "sentence")
        best = WEIGHTS[chosen]
    if "idk" in parts:
        print("== idk", flush=True)
        train_rows, valid_rows = idk_rows("train", args.idk_train), idk_rows("valid", None)
        own_train_conf = own_paragraph_confidence(emb, train_rows, best)
        own_valid_conf = own_paragraph_confidence(emb, valid_rows, best)
        paragraphs = {}
        for split in ("train", "valid"):
            for item in json.loads((DATA / "idk_mrc" / f"{split}.json").read_text(encoding="utf-8")):
                paragraphs["p" + hashlib.sha1(item["context"].encode()).hexdigest()[:12]] = item["context"]
        index = cached_index("idk", [Document(k, v) for k, v in paragraphs.items()], emb)
        pool_train = idk_rows("train", args.idk_pooled, seed=1)
        pool_valid = idk_rows("valid", args.idk_pooled, seed=2)
        pool_train_conf = pooled_confidence(index, pool_train, best)
        pool_valid_conf = pooled_confidence(index, pool_valid, best)
        own = {
            "train_questions": len(train_rows),
            "valid_questions": len(valid_rows),
            **thresholds(own_train_conf, own_valid_conf),
            "confidences": {"train": own_train_conf, "valid": own_valid_conf},
        }
        pooled = {
            "paragraphs": len(paragraphs),
            "train_questions": len(pool_train),
            "valid_questions": len(pool_valid),
            **thresholds(pool_train_conf, pool_valid_conf),
            "confidences": {"train": pool_train_conf, "valid": pool_valid_conf},
        }
        save("idk_mrc", {"weights": chosen, "own_paragraph": own, "pooled": pooled})
    if "gap" in parts:
        print("== language gap", flush=True)
        index = load_index(CACHE / "idk", embedder=emb)
        save("language_gap", language_gap(index, best))
    if "ntrex" in parts:
        print("== ntrex", flush=True)
        index = cached_index("ntrex", ntrex_data()[0], emb)
        save("ntrex_evidence", {"weights": chosen, **ntrex_evidence(index, best)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
