"""Train the learned fusion of hybrid search (issue 16) on the shared training splits only.

    python benchmarks/train_fusion.py            # collect, train, report (nothing written)
    python benchmarks/train_fusion.py --write    # and write src/egov_qa/data/fusion_model.json

Each training question is asked through ``Index.fusion_candidates`` (the rows hybrid search
scores) against a cached ONNX index of its set's passages: TyDi QA-id train (pooled train+valid
paragraphs) and FacQA train (passages of all splits) for Indonesian questions, NusaX train
(English rows -> their Indonesian rows, and -> passages of 5 Indonesian rows) for English ones.
A linear scorer per language is fitted listwise: a softmax over each question's candidates,
cross-entropy with the chunks of its relevant document. The L2 strength is chosen on valid
splits (FacQA valid; NusaX valid, by row and by passage),
never on the sets the benchmark reports (TyDi QA-id valid, FacQA test, NTREX, Tatoeba, the
regulations). Rows are cached in benchmarks/results/cache/fusion-*.npz; --fresh collects again.
``--ablation`` also ranks the development sets' candidates (the same rows search scores) with
the model, with one trained without the sentence features, and with documents scored by their
best chunk plus a share of their second (results in fusion_training.json).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from answer_data import CACHE, NUSAX_GROUP, nusax_grouped, open_index
from bench_core import DATA, ROOT, head_commit, machine, ntrex_data, tydi_data
from bench_hybrid import Queries, facqa, nusax, tatoeba, tydi_questions
from egov_qa import Index
from egov_qa.config import BACKEND_ONNX
from egov_qa.embedding import load_embedder
from egov_qa.evaluation import documents_in_order, mean_metrics
from egov_qa.fusion import CANDIDATES_PER_SIDE, FUSION_FEATURES
from embed_cache import CachedEmbedder
from train_answer import fit_listwise

MODEL_FILE = ROOT / "src" / "egov_qa" / "data" / "fusion_model.json"
L2_GRID = (0.1, 1.0, 10.0, 100.0)


def shape(index: Index, queries: Queries) -> dict[str, Any]:
    """What cached rows must match to be reused: the code that makes them, the index, the questions."""
    code = hashlib.sha1(b"".join((ROOT / "src" / "egov_qa" / f).read_bytes() for f in ("fusion.py", "search.py")))
    return {
        "features": list(FUSION_FEATURES), "per_side": CANDIDATES_PER_SIDE, "code": code.hexdigest(),
        "model": index.embedder.fingerprint(), "generation": index.manifest.generation, "n": len(queries),
    }  # fmt: skip


class Collected:
    """One query set's candidates: per question, its rows, which rows are relevant, and their documents."""

    def __init__(
        self,
        rows: list[np.ndarray],
        labels: list[np.ndarray],
        docs: list[list[str]],
        relevant: list[frozenset[str]],
        commit: str,
    ) -> None:
        self.rows, self.labels, self.docs, self.relevant = rows, labels, docs, relevant
        self.commit = commit  # the commit whose code collected the rows

    @classmethod
    def gather(cls, name: str, index: Index, queries: Queries, fresh: bool) -> Collected:
        path = CACHE / f"fusion-{name}.npz"
        if path.is_file() and not fresh:
            data = np.load(path, allow_pickle=False)
            meta = json.loads(str(data["meta"]))
            if meta == {**meta, **shape(index, queries)}:
                cuts = list(zip(data["bounds"][:-1], data["bounds"][1:], strict=True))
                every_row, every_label = data["rows"], data["labels"]  # each data[...] reads the file again
                rows = [every_row[a:b] for a, b in cuts]
                labels = [every_label[a:b] > 0 for a, b in cuts]
                return cls(rows, labels, meta["docs"], [frozenset(r) for r in meta["relevant"]], meta["commit"])
        t = time.perf_counter()
        vectors = index.embedder.embed_queries([q for q, _ in queries])
        rows, labels, docs = [], [], []
        for (query, relevant), vec in zip(queries, vectors, strict=True):
            found = index.fusion_candidates(query, query_vector=vec)
            rows.append(found.rows)
            labels.append(np.asarray([d in relevant for d in found.doc_ids]))
            docs.append(list(found.doc_ids))
        print(f"  {name}: {len(queries)} questions collected in {time.perf_counter() - t:.0f} s", flush=True)
        bounds = np.cumsum([0, *(len(r) for r in rows)])
        relevant = [sorted(rel) for _, rel in queries]
        meta = {**shape(index, queries), "docs": docs, "relevant": relevant, "commit": head_commit()}
        np.savez(path, rows=np.vstack(rows), labels=np.concatenate(labels).astype(np.int8), bounds=bounds,
                 meta=np.asarray(json.dumps(meta)))  # fmt: skip
        return cls(rows, labels, docs, [r for _, r in queries], meta["commit"])

    def metrics(self, weights: np.ndarray | None, column: str = "dense", share: float = 0.0) -> dict[str, float]:
        """Document R@1, R@10, MRR@10 when candidates are ranked by ``weights`` (None: by one feature).

        ``share`` > 0 ranks documents by their best chunk's probability (a softmax over the
        question's candidates) plus that share of their second best's, instead of by the best alone.
        """
        col = FUSION_FEATURES.index(column)

        def ranked() -> Any:
            for rows, docs, relevant in zip(self.rows, self.docs, self.relevant, strict=True):
                scores = rows @ weights if weights is not None else rows[:, col]
                if share:
                    p = np.exp(scores - scores.max())
                    per_doc: dict[str, list[float]] = {}
                    for d, x in zip(docs, p / p.sum(), strict=True):
                        per_doc.setdefault(d, []).append(float(x))
                    combined = {d: sorted(v)[-1] + share * (sorted(v)[-2] if len(v) > 1 else 0.0)
                                for d, v in per_doc.items()}  # fmt: skip
                    yield sorted(combined, key=lambda d: -combined[d]), relevant
                    continue
                order = np.argsort(-scores, kind="stable")
                yield documents_in_order(docs[i] for i in order), relevant

        means = mean_metrics(ranked())
        return {k: round(means[k], 4) for k in ("R@1", "R@10", "MRR@10")}


def grouped(split: str, emb: CachedEmbedder) -> tuple[Index, Queries]:
    """NusaX English rows against passages of 5 Indonesian rows: the passage holding the translation."""
    docs, rows = nusax_grouped(split)
    queries = [(r["question"], frozenset({f"nusax-{split}-{i // NUSAX_GROUP}"})) for i, r in enumerate(rows)]
    return open_index(f"nusax-grouped-{split}", docs, emb), queries


def fit(sets: list[Collected], l2: float, without: tuple[str, ...] = ()) -> np.ndarray:
    """Fit one language's weights; the features ``without`` are left out (weight 0)."""
    keep = np.asarray([name not in without for name in FUSION_FEATURES])
    groups, labels = [], []
    for s in sets:
        for rows, y in zip(s.rows, s.labels, strict=True):
            if y.any() and not y.all():
                groups.append(rows[:, keep])
                labels.append(y.astype(np.float64))
    weights, _ = fit_listwise(groups, labels, l2)
    full = np.zeros(len(FUSION_FEATURES))
    full[keep] = weights
    return full


UNIT_FEATURES = ("unit", "unit_gap", "unit_context", "unit_context_gap")


def ablation(
    emb: CachedEmbedder, train: dict[str, list[Collected]], chosen: dict[str, float], fresh: bool
) -> dict[str, Any]:
    """On the development sets' candidates: the model with and without sentence features, and documents
    ranked by their best chunk against best plus a share of the second."""
    facqa_docs, facqa_splits = facqa()
    ntrex_docs, ntrex_q, ntrex_gold = ntrex_data()
    tatoeba_docs, tatoeba_q = tatoeba()
    dev = {
        "tydi_valid": ("id", Collected.gather("tydi-valid", open_index("tydi", tydi_data()[0], emb),
                                              tydi_questions("valid"), fresh)),
        "facqa_test": ("id", Collected.gather("facqa-test", open_index("facqa", facqa_docs, emb),
                                              facqa_splits["test"], fresh)),
        "ntrex_en_id": ("en", Collected.gather("ntrex", open_index("ntrex", ntrex_docs, emb),
                                               [(q, frozenset({g})) for q, g in zip(ntrex_q, ntrex_gold, strict=True)],
                                               fresh)),
        "tatoeba_en_id": ("en", Collected.gather("tatoeba", open_index("tatoeba", tatoeba_docs, emb), tatoeba_q,
                                                 fresh)),
    }  # fmt: skip
    weights = {lang: fit(sets, chosen[lang]) for lang, sets in train.items()}
    plain = {lang: fit(sets, chosen[lang], UNIT_FEATURES) for lang, sets in train.items()}
    out: dict[str, Any] = {}
    for name, (lang, rows) in dev.items():
        out[name] = {
            "dense": rows.metrics(None),
            "learned": rows.metrics(weights[lang]),
            "learned_without_sentence_features": rows.metrics(plain[lang]),
            **{f"documents_best_plus_{share}_of_second": rows.metrics(weights[lang], share=share)
               for share in (0.25, 0.5, 1.0)},
        }  # fmt: skip
        print(f"  {name}: {json.dumps(out[name])}", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"write {MODEL_FILE.relative_to(ROOT)}")
    parser.add_argument("--fresh", action="store_true", help="collect the candidates again")
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="also measure, on the development sets, without sentence features "
        "and with documents ranked by more than their best chunk",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fusion_training.json")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    emb = CachedEmbedder(load_embedder(backend=BACKEND_ONNX), CACHE / "vectors.sqlite")
    tydi_ix = open_index("tydi", tydi_data()[0], emb)
    facqa_docs, facqa_splits = facqa()
    facqa_ix = open_index("facqa", facqa_docs, emb)
    train = {
        "id": [Collected.gather("tydi-train", tydi_ix, tydi_questions("train"), args.fresh),
               Collected.gather("facqa-train", facqa_ix, facqa_splits["train"], args.fresh)],
        "en": [Collected.gather("nusax-train", open_index("nusax-train", nusax("train")[0], emb), nusax("train")[1],
                                args.fresh),
               Collected.gather("nusax-grouped-train", *grouped("train", emb), args.fresh)],
    }  # fmt: skip
    valid = {
        "id": {"facqa-valid": Collected.gather("facqa-valid", facqa_ix, facqa_splits["valid"], args.fresh)},
        "en": {"nusax-valid": Collected.gather("nusax-valid", open_index("nusax-valid", nusax("valid")[0], emb),
                                               nusax("valid")[1], args.fresh),
               "nusax-grouped-valid": Collected.gather("nusax-grouped-valid", *grouped("valid", emb), args.fresh)},
    }  # fmt: skip
    report: dict[str, Any] = {"machine": machine(), "features": list(FUSION_FEATURES), "languages": {}}
    scorers = {}
    for language, sets in train.items():
        table = {f"{name} dense": v.metrics(None) for name, v in valid[language].items()}
        best_l2, best = L2_GRID[0], -1.0
        for l2 in L2_GRID:
            w = fit(sets, l2)
            score = 0.0
            for name, v in valid[language].items():
                table[f"{name} l2={l2}"] = found = v.metrics(w)
                score += found["R@1"] + 0.5 * found["MRR@10"]
                print(f"  {language} l2={l2}: {name} {found}", flush=True)
            if score > best:
                best_l2, best = l2, score
        weights = fit(sets, best_l2)
        scorers[language] = {"features": list(FUSION_FEATURES), "weights": [float(x) for x in weights], "bias": 0.0}
        report["languages"][language] = {
            "valid": table, "chosen_l2": best_l2, "train_questions": sum(len(s.rows) for s in sets),
            "weights": dict(zip(FUSION_FEATURES, map(float, weights), strict=True)),
        }  # fmt: skip
        print(f"  {language}: chosen l2={best_l2}; weights {report['languages'][language]['weights']}", flush=True)
    if args.ablation:
        chosen = {lang: report["languages"][lang]["chosen_l2"] for lang in train}
        report["ablation"] = ablation(emb, train, chosen, args.fresh)
    args.out.write_text(json.dumps(report, indent=2))
    if args.write:
        collected = sorted({c.commit for sets in train.values() for c in sets})
        model = {
            "scorers": scorers,
            "source": {
                "command": "python benchmarks/train_fusion.py --write",
                "data": "TyDi QA-id train and FacQA train (Indonesian), NusaX train, by row and by passages of 5 rows "
                "(English); L2 chosen on "
                "FacQA valid and NusaX valid; ../shared/data; ONNX engine, hybrid candidates",
                "commit": head_commit(),
                "rows_collected_at": collected,
            },
        }
        MODEL_FILE.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
