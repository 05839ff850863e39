"""Ranking benchmark of issue 16: the learned fusion against dense, lexical, the old hybrid and the bare model.

    python benchmarks/bench_fusion.py --out benchmarks/results/fusion.json

One run, the ONNX engine, the cached indexes of benchmarks/train_fusion.py. Every mode is asked
through ``Index.search`` (top 50 chunks folded to documents): ``dense``, ``lexical``, ``old
hybrid`` (the fixed vote, ``fusion=DEFAULT_FUSION``) and ``learned`` (the default hybrid). The
bare model is the model alone over whole passages (each passage embedded once, truncated at the
model's limit; no chunking, no BM25); on the regulations, whose documents are far longer than
the model's limit, there is none. Sets: TyDi QA-id valid, FacQA test, NTREX-128 en->id, Tatoeba
en->id, the team-made known-item set on the regulations. Latency: ``Index.search`` without
highlights on 100 TyDi QA-id valid questions, old hybrid and learned alternating per question.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from answer_data import CACHE, open_index
from bench_core import DATA, ROOT, machine, ntrex_data, search_latency, tydi_data
from bench_hybrid import Queries, facqa, known_items, regulations, tatoeba, tydi_questions
from egov_qa import DEFAULT_FUSION, Document, FusionWeights, Index
from egov_qa.config import BACKEND_ONNX
from egov_qa.embedding import load_embedder
from egov_qa.evaluation import documents_in_order, mean_metrics
from embed_cache import CachedEmbedder

DEPTH = 50
MODES: dict[str, tuple[str, FusionWeights | None]] = {
    "dense": ("dense", None),
    "lexical": ("lexical", None),
    "old_hybrid": ("hybrid", DEFAULT_FUSION),
    "learned": ("hybrid", None),
}


def side_by_side(index: Index, queries: Queries, docs: list[Document] | None) -> dict[str, Any]:
    vectors = index.embedder.embed_queries([q for q, _ in queries])
    out: dict[str, Any] = {"queries": len(queries)}
    for name, (mode, fusion) in MODES.items():
        ranked = []
        for (query, relevant), vec in zip(queries, vectors, strict=True):
            found = index.search(query, top_k=DEPTH, highlight=False, mode=mode, fusion=fusion, query_vector=vec)  # type: ignore[arg-type]
            ranked.append((documents_in_order(h.doc_id for h in found), relevant))
        out[name] = rounded(mean_metrics(ranked))
    if docs is not None:
        passages = index.embedder.embed_passages([d.text for d in docs])
        ids = [d.doc_id for d in docs]
        order = np.argsort(-(vectors @ passages.T), axis=1)[:, :DEPTH]
        out["bare"] = rounded(
            mean_metrics(([ids[j] for j in row], rel) for row, (_, rel) in zip(order, queries, strict=True))
        )
    return out


def rounded(means: dict[str, float]) -> dict[str, float]:
    return {k: round(means[k], 4) for k in ("R@1", "R@10", "MRR@10")}


def latency(index: Index, queries: list[str], rounds: int) -> dict[str, Any]:
    out = search_latency(
        index, queries, rounds, {name: {"fusion": MODES[name][1]} for name in ("old_hybrid", "learned")}
    )
    out["learned_over_old_p50"] = round(out["learned"]["p50_ms"] / out["old_hybrid"]["p50_ms"], 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fusion.json")
    parser.add_argument("--rounds", type=int, default=3, help="latency rounds")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    emb = CachedEmbedder(load_embedder(backend=BACKEND_ONNX), CACHE / "vectors.sqlite")
    tydi_docs = tydi_data()[0]
    facqa_docs, facqa_splits = facqa()
    ntrex_docs, ntrex_q, ntrex_gold = ntrex_data()
    tatoeba_docs, tatoeba_q = tatoeba()
    tydi_ix = open_index("tydi", tydi_docs, emb)
    sets: dict[str, tuple[Index, Queries, list[Document] | None]] = {
        "tydi_valid": (tydi_ix, tydi_questions("valid"), tydi_docs),
        "facqa_test": (open_index("facqa", facqa_docs, emb), facqa_splits["test"], facqa_docs),
        "ntrex_en_id": (
            open_index("ntrex", ntrex_docs, emb),
            [(q, frozenset({g})) for q, g in zip(ntrex_q, ntrex_gold, strict=True)],
            ntrex_docs,
        ),
        "tatoeba_en_id": (open_index("tatoeba", tatoeba_docs, emb), tatoeba_q, tatoeba_docs),
    }
    reg_ix = open_index("regulations-known-item", regulations(25), emb)
    for name, queries in known_items().items():
        sets[f"regulations_{name}"] = (reg_ix, queries, None)
    results: dict[str, Any] = {"machine": machine(), "engine": emb.backend, "sets": {}}
    for name, (index, queries, docs) in sets.items():
        results["sets"][name] = side_by_side(index, queries, docs)
        print(f"  {name}: {json.dumps(results['sets'][name])}", flush=True)
    questions = [q for q, _ in random.Random(1).sample(tydi_questions("valid"), 100)]
    results["latency_tydi"] = latency(tydi_ix, questions, args.rounds)
    print(json.dumps(results["latency_tydi"]), flush=True)
    results["seconds"] = round(time.perf_counter() - started)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
