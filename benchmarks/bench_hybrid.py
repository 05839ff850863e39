"""Hybrid retrieval benchmark: dense, lexical and hybrid side by side, same index, same run.

Run from the repository root with the real default model (about half an hour on 2 cores,
most of it embedding the corpora once; indexes are cached in benchmarks/results/cache/):

    python benchmarks/bench_hybrid.py --out benchmarks/results/hybrid.json

1. Choose the fusion weights on training data only: the Indonesian weight on samples of
   TyDi QA-id train and FacQA train questions, the English weight on NusaX train (English
   sentence -> its Indonesian row). The rule: the weight with the best summed R@1 among those
   whose R@1 and R@10 are not below dense on any training set.
2. Measure the three modes on the development sets: TyDi QA-id valid (pooled train+valid
   paragraphs), NTREX-128 English -> Indonesian documents, Tatoeba English -> Indonesian
   sentences, FacQA test (passages of all splits pooled), and the team-made known-item set on
   the regulations (benchmarks/data/regulations_known_item.jsonl), with and without the
   exact-reference bonus.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import json
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench_core import DATA, ROOT, machine, ntrex_data, search_latency, tydi_data
from egov_qa import DEFAULT_FUSION, Document, FusionWeights, Index, Mode, build_index, detect_language, load_index
from egov_qa.corpus.pdf import paged_document
from egov_qa.embedding import SentenceTransformerEmbedder, load_embedder
from egov_qa.evaluation import documents_in_order, mean_metrics

CACHE = ROOT / "benchmarks" / "results" / "cache"
KNOWN_ITEM = ROOT / "benchmarks" / "data" / "regulations_known_item.jsonl"
GRID_ID = (0.0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075)
GRID_EN = (0.0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075)
DEPTH = 50

Queries = list[tuple[str, frozenset[str]]]


def cached_index(name: str, docs: list[Document], emb: SentenceTransformerEmbedder) -> Index:
    t = time.perf_counter()
    report = build_index(docs, CACHE / name, embedder=emb)
    print(f"  index {name}: {report.total_chunks} chunks ({report.chunks_embedded} embedded, "
          f"{time.perf_counter() - t:.0f} s)", flush=True)  # fmt: skip
    return load_index(CACHE / name, embedder=emb)


class Runner:
    """Embeds a query set once, then ranks it with Index.search in any mode and with any weights."""

    def __init__(self, index: Index, queries: Queries) -> None:
        self.index, self.queries = index, queries
        texts = [q for q, _ in queries]
        self.vectors = index.embedder.embed_queries(texts) if texts else np.zeros((0, 1))
        self.languages = [detect_language(q) for q in texts]

    def metrics(self, mode: Mode, weights: FusionWeights = DEFAULT_FUSION) -> dict[str, float]:
        def ranked() -> Iterator[tuple[list[str], frozenset[str]]]:
            for (query, relevant), vec in zip(self.queries, self.vectors, strict=True):
                found = self.index.search(
                    query, top_k=DEPTH, highlight=False, mode=mode, fusion=weights, query_vector=vec
                )
                yield documents_in_order(h.doc_id for h in found), relevant

        return {key: round(value, 4) for key, value in mean_metrics(ranked()).items()}

    def side_by_side(self, weights: FusionWeights) -> dict[str, Any]:
        return {
            "queries": len(self.queries),
            "languages": {lang: self.languages.count(lang) for lang in sorted(set(self.languages))},
            **{mode: self.metrics(mode, weights) for mode in ("dense", "lexical", "hybrid")},
        }


def choose(runners: dict[str, Runner], grid: Sequence[float], make: Any) -> tuple[float, dict[str, Any]]:
    """Best summed R@1 among weights never below dense (R@1 and R@10) on any training set."""
    table: dict[str, Any] = {}
    dense = {name: r.metrics("dense") for name, r in runners.items()}
    best_w, best_score = 0.0, -1.0
    for w in grid:
        row = {name: r.metrics("hybrid", make(w)) for name, r in runners.items()}
        table[str(w)] = {name: {k: row[name][k] for k in ("R@1", "R@10", "MRR@10")} for name in row}
        safe = all(row[n]["R@1"] >= dense[n]["R@1"] and row[n]["R@10"] >= dense[n]["R@10"] for n in row)
        score = sum(row[n]["R@1"] for n in row)
        print(f"    w={w}: " + ", ".join(f"{n} R@1 {row[n]['R@1']:.3f} R@10 {row[n]['R@10']:.3f}" for n in row)
              + ("" if safe else "  (below dense)"), flush=True)  # fmt: skip
        if safe and score > best_score:
            best_w, best_score = w, score
    return best_w, {"dense": {n: {k: dense[n][k] for k in ("R@1", "R@10", "MRR@10")} for n in dense}, "grid": table}


def pid(text: str) -> str:
    return "p" + hashlib.sha1(text.encode()).hexdigest()[:12]


def tydi_questions(split: str) -> Queries:
    out = []
    for item in json.loads((DATA / "tydiqa_id" / f"{split}.json").read_text(encoding="utf-8")):
        out += [(qa["question"], frozenset({pid(item["context"])})) for qa in item["qas"]]
    return out


def detok(tokens: list[str]) -> str:
    text = " ".join(tokens)
    for mark in (" ,", " .", " ?", " !", " :", " ;", " )", " '", " %"):
        text = text.replace(mark, mark[1:])
    return text.replace("( ", "(")


def facqa() -> tuple[list[Document], dict[str, Queries]]:
    passages: dict[str, str] = {}
    splits: dict[str, Queries] = {}
    for split in ("train", "valid", "test"):
        rows = list(csv.DictReader((DATA / "indonlu_facqa" / f"{split}_preprocess.csv").open(encoding="utf-8")))
        queries = []
        for row in rows:
            passage = detok(ast.literal_eval(row["passage"]))
            passages[pid(passage)] = passage
            queries.append((detok(ast.literal_eval(row["question"])), frozenset({pid(passage)})))
        splits[split] = queries
    return [Document(k, v) for k, v in passages.items()], splits


def parallel(eng: list[str], ind: list[str], prefix: str) -> tuple[list[Document], Queries]:
    """English rows as queries, Indonesian rows as documents; identical Indonesian rows are all relevant."""
    same: dict[str, set[str]] = {}
    for i, text in enumerate(ind):
        same.setdefault(" ".join(text.split()), set()).add(f"{prefix}{i}")
    docs = [Document(f"{prefix}{i}", text) for i, text in enumerate(ind) if text.strip()]
    queries = [
        (e, frozenset(same[" ".join(t.split())])) for e, t in zip(eng, ind, strict=True) if e.strip() and t.strip()
    ]
    return docs, queries


def tatoeba() -> tuple[list[Document], Queries]:
    folder = DATA / "tatoeba_ind_eng"
    eng = (folder / "tatoeba.ind-eng.eng").read_text(encoding="utf-8").splitlines()
    ind = (folder / "tatoeba.ind-eng.ind").read_text(encoding="utf-8").splitlines()
    return parallel(eng, ind, "t")


def nusax(split: str) -> tuple[list[Document], Queries]:
    rows = list(csv.DictReader((DATA / "nusax_mt" / f"{split}.csv").open(encoding="utf-8")))
    return parallel([r["english"] for r in rows], [r["indonesian"] for r in rows], f"n{split}")


CORE = (
    "UU-2009-025", "UU-2008-014", "UU-2006-023", "UU-2008-037", "UU-2008-011", "UU-2016-019", "PP-2012-082",
    "PERPRES-2018-096", "PERPRES-2010-081", "PERMEN-DAGRI-2019-007", "PERMEN-PANRB-2014-030",
    "PERMEN-PANRB-2014-031", "PERMEN-KUKM-2019-002",
)  # fmt: skip


def regulation_rows(distractors: int) -> list[dict[str, Any]]:
    """The rows of the 13 core e-government regulations plus the shortest others as distractors."""
    rows = [json.loads(line) for line in (DATA / "regulations_id" / "documents.jsonl").open(encoding="utf-8")]
    core = [r for r in rows if r["doc_id"].startswith(CORE)]
    others = sorted((r for r in rows if not r["doc_id"].startswith(CORE)), key=lambda r: (r["n_pages"], r["doc_id"]))
    return core + others[:distractors]


def regulations(distractors: int) -> list[Document]:
    """The 13 core e-government regulations plus the shortest others as distractors."""
    chosen = regulation_rows(distractors)
    return [
        paged_document(
            r["doc_id"], r["pages"], title=r["title_from_filename"], metadata={"type": r["type"], "year": r["year"]}
        )
        for r in chosen
    ]


def known_items() -> dict[str, Queries]:
    out: dict[str, Queries] = {"all": []}
    for line in KNOWN_ITEM.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        item = (row["query"], frozenset(row["relevant"]))
        out["all"].append(item)
        out.setdefault(f"{row['kind']}/{row['language']}", []).append(item)
    return out


def latency(index: Index, queries: list[str], rounds: int) -> dict[str, Any]:
    """Median and p95 time of Index.search without highlights, dense and hybrid (the fixed vote) alternated."""
    out = search_latency(index, queries, rounds, {"dense": {"mode": "dense"}, "hybrid": {"fusion": DEFAULT_FUSION}})
    out["hybrid_over_dense_p50"] = round(out["hybrid"]["p50_ms"] / out["dense"]["p50_ms"], 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "hybrid.json")
    parser.add_argument("--train", type=int, default=300, help="training questions sampled per set")
    parser.add_argument("--latency-only", action="store_true", help="only time dense vs hybrid search")
    parser.add_argument(
        "--tydi-valid-only", action="store_true", help="only TyDi QA-id valid, the three modes, shipped weights"
    )
    parser.add_argument(
        "--distractors", type=int, default=25, help="non-core regulations added to the known-item index"
    )
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    emb = load_embedder()
    assert isinstance(emb, SentenceTransformerEmbedder)
    results: dict[str, Any] = {"machine": machine()}
    if args.tydi_valid_only:
        row = Runner(cached_index("tydi", tydi_data()[0], emb), tydi_questions("valid")).side_by_side(DEFAULT_FUSION)
        print(json.dumps(row))
        return 0
    if args.latency_only:
        saved = json.loads(args.out.read_text()) if args.out.is_file() else {}
        index = cached_index("tydi", tydi_data()[0], emb)
        questions = [q for q, _ in random.Random(1).sample(tydi_questions("valid"), 100)]
        saved["latency_tydi"] = latency(index, questions, rounds=3)
        print(json.dumps(saved["latency_tydi"], indent=2))
        args.out.write_text(json.dumps(saved, indent=2))
        return 0

    print("== indexes", flush=True)
    tydi_docs, _, _ = tydi_data()
    tydi_ix = cached_index("tydi", tydi_docs, emb)
    facqa_docs, facqa_splits = facqa()
    facqa_ix = cached_index("facqa", facqa_docs, emb)
    nusax_docs, nusax_train = nusax("train")
    nusax_ix = cached_index("nusax-train", nusax_docs, emb)
    ntrex_docs, ntrex_q, ntrex_gold = ntrex_data()
    ntrex_ix = cached_index("ntrex", ntrex_docs, emb)
    tatoeba_docs, tatoeba_q = tatoeba()
    tatoeba_ix = cached_index("tatoeba", tatoeba_docs, emb)
    reg_ix = cached_index("regulations-known-item", regulations(args.distractors), emb)

    print("== choosing weights on training data", flush=True)
    rng = random.Random(0)
    train_id = {
        "tydi_train": Runner(tydi_ix, rng.sample(tydi_questions("train"), args.train)),
        "facqa_train": Runner(facqa_ix, rng.sample(facqa_splits["train"], args.train)),
    }
    w_id, id_table = choose(train_id, GRID_ID, lambda w: FusionWeights(w, 0.0, 0.0))
    w_en, en_table = choose(
        {"nusax_train": Runner(nusax_ix, nusax_train)}, GRID_EN, lambda w: FusionWeights(0.0, w, 0.0)
    )
    chosen = FusionWeights(w_id, w_en, DEFAULT_FUSION.reference)
    results["weights"] = {
        "chosen": {"indonesian": w_id, "english": w_en, "reference": chosen.reference},
        "shipped_default": {
            "indonesian": DEFAULT_FUSION.indonesian,
            "english": DEFAULT_FUSION.english,
            "reference": DEFAULT_FUSION.reference,
        },  # fmt: skip
        "indonesian_training": id_table,
        "english_training": en_table,
    }
    print(f"  chosen: {chosen}", flush=True)

    print("== development sets", flush=True)
    dev = {
        "tydi_valid": Runner(tydi_ix, tydi_questions("valid")),
        "facqa_test": Runner(facqa_ix, facqa_splits["test"]),
        "ntrex_en_id": Runner(ntrex_ix, [(q, frozenset({g})) for q, g in zip(ntrex_q, ntrex_gold, strict=True)]),
        "tatoeba_en_id": Runner(tatoeba_ix, tatoeba_q),
    }
    results["development"] = {}
    for name, runner in dev.items():
        results["development"][name] = runner.side_by_side(chosen)
        print(f"  {name}: {json.dumps(results['development'][name])}", flush=True)

    print("== team-made known-item set (regulations)", flush=True)
    results["known_item"] = {}
    no_bonus = FusionWeights(chosen.indonesian, chosen.english, 0.0)
    for name, queries in known_items().items():
        runner = Runner(reg_ix, queries)
        row = runner.side_by_side(chosen)
        row["hybrid_without_reference_bonus"] = runner.metrics("hybrid", no_bonus)
        results["known_item"][name] = row
        print(f"  {name}: {json.dumps(row)}", flush=True)
    results["known_item_index"] = {
        "documents": len(reg_ix.document_ids()),
        "chunks": reg_ix.manifest.chunks,
    }
    results["seconds"] = round(time.perf_counter() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
