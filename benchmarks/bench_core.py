"""Core-engine benchmark: ingest throughput vs the bare encoder, query latency, retrieval quality.

Run from the repository root with the real default model (it takes tens of minutes on 2 cores):

    python benchmarks/bench_core.py all --out benchmarks/results/core.json

Parts: ``ingest`` (regulations slice), ``latency`` (queries on that index), ``tydi`` (TyDi QA-id
valid questions against all train+valid paragraphs), ``ntrex`` (NTREX-128 English sentence ->
its Indonesian document). Data is read from ../shared/data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import egov_qa
from egov_qa import Document, Manifest, Settings, build_index, load_index
from egov_qa.corpus.pdf import paged_document
from egov_qa.embedding import SentenceTransformerEmbedder, load_embedder
from egov_qa.evaluation import mean_metrics
from egov_qa.modelprep import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EGOV_QA_SHARED_DATA", ROOT.parent / "shared" / "data"))
# the issue-2 numbers compare the pipeline's embedding retrieval with the bare encoder; hybrid: bench_hybrid.py
MODE = "dense"
CORE_REGULATIONS = (
    "UU-2009-025-PELAYANAN-PUBLIK",
    "UU-2008-014-KETERBUKAAN-INFORMASI-PUBLIK",
    "PERMEN-PANRB-2014-030-PEDOMAN-INOVASI-PELAYANAN-PUBLIK",
    "PERMEN-DAGRI-2019-007-PELAYANAN-ADMINISTRASI-KEPENDUDUKANSECARA-DARING",
)
LATENCY_QUERIES = (
    "Apa yang dimaksud dengan pelayanan publik?",
    "Siapa yang berwenang menyelenggarakan pelayanan publik?",
    "Bagaimana masyarakat dapat mengadukan penyelenggara pelayanan publik?",
    "Apa sanksi bagi penyelenggara yang tidak memberikan pelayanan?",
    "Informasi apa saja yang dikecualikan dari keterbukaan informasi publik?",
    "Berapa lama badan publik wajib menjawab permintaan informasi?",
    "Apa tugas Komisi Informasi?",
    "Bagaimana pedoman inovasi pelayanan publik disusun?",
    "Layanan administrasi kependudukan apa yang dapat dilakukan secara daring?",
    "Apa persyaratan pencetakan dokumen kependudukan secara mandiri?",
    "What is a public service according to the law?",
    "Who supervises the provision of public services?",
    "How can citizens file a complaint about a public service?",
    "What information is exempt from public disclosure?",
    "How long does a public body have to answer an information request?",
    "What are the duties of the Information Commission?",
    "How should public service innovation be developed?",
    "Which population administration services are available online?",
    "Can residents print their own population documents?",
    "What sanctions apply to officials who neglect public service standards?",
)


class LoggedSeconds(logging.Handler):
    """Keeps the seconds egov-qa logs in messages matching ``pattern`` (its one group: the seconds)."""

    def __init__(self, pattern: str) -> None:
        super().__init__()
        self.pattern = re.compile(pattern)
        self.seconds: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = self.pattern.search(record.getMessage())
        if match:
            self.seconds.append(float(match.group(1)))

    def listen(self) -> LoggedSeconds:
        """Attach to egov-qa's logger (at INFO) and return itself."""
        logging.getLogger("egov_qa").addHandler(self)
        logging.getLogger("egov_qa").setLevel(logging.INFO)
        return self


def head_commit(*, short: bool = False) -> str:
    """The checked-out commit, recorded with what a benchmark or a trainer writes ("unknown" outside git)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", *(["--short"] if short else []), "HEAD"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def machine() -> dict[str, Any]:
    import faiss
    import sentence_transformers
    import torch

    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "sentence_transformers": sentence_transformers.__version__,
        "faiss": faiss.__version__,
        "egov_qa": egov_qa.__version__,
    }


def regulation_docs() -> list[Document]:
    wanted = set(CORE_REGULATIONS)
    docs = []
    with open(DATA / "regulations_id" / "documents.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["doc_id"] in wanted:
                meta = {"type": row["type"], "year": row["year"]}
                docs.append(
                    paged_document(row["doc_id"], row["pages"], title=row["title_from_filename"], metadata=meta)
                )
    return sorted(docs, key=lambda d: CORE_REGULATIONS.index(d.doc_id))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bench_ingest(emb: SentenceTransformerEmbedder, workdir: Path, rounds: int) -> dict[str, Any]:
    """Pipeline (clean + chunk + embed + store) vs the bare encoder on the same chunk inputs, alternating."""
    docs = regulation_docs()
    pipeline_s, bare_s = [], []
    inputs: list[str] = []
    chunks = 0
    for r in range(rounds):
        target = workdir / f"ingest-{r}"
        t_pipe, report = timed(lambda target=target: build_index(docs, target, embedder=emb))
        chunks = report.chunks_embedded
        pipeline_s.append(t_pipe)
        if not inputs:
            inputs = embed_inputs(target)
        t_bare, _ = timed(
            lambda inputs=inputs: emb.model.encode(
                inputs, prompt=emb.passage_prompt, batch_size=16, normalize_embeddings=True, show_progress_bar=False
            )
        )
        bare_s.append(t_bare)
        print(f"  round {r + 1}: pipeline {t_pipe:.1f} s, bare encoder {t_bare:.1f} s, {chunks} chunks", flush=True)
    ratios = [p / b for p, b in zip(pipeline_s, bare_s, strict=True)]
    return {
        "documents": [d.doc_id for d in docs],
        "pages": sum(len(d.pages) for d in docs),
        "chunks": chunks,
        "rounds": rounds,
        "pipeline_seconds": pipeline_s,
        "bare_seconds": bare_s,
        "pipeline_chunks_per_s_median": chunks / statistics.median(pipeline_s),
        "bare_chunks_per_s_median": chunks / statistics.median(bare_s),
        "overhead_median": statistics.median(ratios) - 1.0,
    }


def embed_inputs(index_dir: Path) -> list[str]:
    """Rebuild exactly the texts the pipeline embedded, from the stored chunks."""
    import sqlite3

    db = sqlite3.connect(index_dir / Manifest.read(index_dir).store_file)
    rows = db.execute(
        "SELECT d.title, c.heading, c.text FROM chunks c JOIN documents d USING(doc_id) ORDER BY c.id"
    ).fetchall()
    return ["\n".join(p for p in row if p) for row in rows]


def bench_latency(emb: SentenceTransformerEmbedder, index_dir: Path, repeats: int) -> dict[str, Any]:
    """Search latency: cold (first time each query's chunks are seen), warm (repeats), no highlights."""
    index = load_index(index_dir, embedder=emb)
    index.search("pemanasan model", top_k=5, highlight=False, mode=MODE)
    cold = [timed(lambda q=q: index.search(q, top_k=5, mode=MODE))[0] for q in LATENCY_QUERIES]
    warm = [timed(lambda q=q: index.search(q, top_k=5, mode=MODE))[0] for _ in range(repeats) for q in LATENCY_QUERIES]
    no_hl = [
        timed(lambda q=q: index.search(q, top_k=5, highlight=False, mode=MODE))[0]
        for _ in range(repeats)
        for q in LATENCY_QUERIES
    ]

    def pct(xs: list[float], p: float) -> float:
        return float(np.percentile(np.asarray(xs) * 1000, p))

    return {
        "queries": len(LATENCY_QUERIES),
        "repeats": repeats,
        "index_chunks": index.manifest.chunks,
        "cold_search_ms_p50": pct(cold, 50),
        "cold_search_ms_p95": pct(cold, 95),
        "warm_search_ms_p50": pct(warm, 50),
        "warm_search_ms_p95": pct(warm, 95),
        "no_highlight_ms_p50": pct(no_hl, 50),
        "no_highlight_ms_p95": pct(no_hl, 95),
    }


def search_latency(
    index: egov_qa.Index, queries: list[str], rounds: int, variants: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """p50 and p95 of ``Index.search`` (top 10, no highlights) per variant (its arguments), alternating per query."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    index.search(queries[0], highlight=False)  # warm: facets, chunk map, FTS pages
    for _ in range(rounds):
        for q in queries:
            for name, arguments in variants.items():
                t = time.perf_counter()
                index.search(q, top_k=10, highlight=False, **arguments)
                times[name].append((time.perf_counter() - t) * 1000)
    out: dict[str, Any] = {"queries": len(queries), "rounds": rounds}
    for name, values in times.items():
        out[name] = {"p50_ms": round(float(np.median(values)), 1), "p95_ms": round(float(np.percentile(values, 95)), 1)}
    return out


def ranking_metrics(ranked: Sequence[Sequence[str]], gold: Sequence[str]) -> dict[str, float]:
    means = mean_metrics((r, frozenset({g})) for r, g in zip(ranked, gold, strict=True))
    return {**{k: means[k] for k in ("R@1", "R@10", "MRR@10")}, "n": len(gold)}


def bare_rankings(emb: SentenceTransformerEmbedder, passages: dict[str, str], queries: list[str]) -> list[list[str]]:
    ids = list(passages)
    p_vecs = emb.embed_passages([passages[i] for i in ids])
    q_vecs = emb.embed_queries(queries)
    order = np.argsort(-(q_vecs @ p_vecs.T), axis=1)[:, :10]
    return [[ids[j] for j in row] for row in order]


def pipeline_rankings(index: egov_qa.Index, queries: list[str]) -> list[list[str]]:
    ranked = []
    for q in queries:
        seen: list[str] = []
        for hit in index.search(q, top_k=40, highlight=False, mode=MODE):
            if hit.doc_id not in seen:
                seen.append(hit.doc_id)
        ranked.append(seen[:10])
    return ranked


def quality(
    emb: SentenceTransformerEmbedder,
    workdir: Path,
    name: str,
    docs: list[Document],
    queries: list[str],
    gold: list[str],
) -> dict[str, Any]:
    t_bare, bare = timed(lambda: bare_rankings(emb, {d.doc_id: d.text for d in docs}, queries))
    t_build, report = timed(lambda: build_index(docs, workdir / name, embedder=emb))
    index = load_index(workdir / name, embedder=emb)
    t_search, pipe = timed(lambda: pipeline_rankings(index, queries))
    return {
        "documents": len(docs),
        "chunks": report.total_chunks,
        "queries": len(queries),
        "bare_model_whole_passages": ranking_metrics(bare, gold),
        "pipeline": ranking_metrics(pipe, gold),
        "seconds": {"bare": t_bare, "pipeline_build": t_build, "pipeline_search": t_search},
    }


def tydi_data() -> tuple[list[Document], list[str], list[str]]:
    paragraphs: dict[str, str] = {}
    for split in ("train", "valid"):
        for item in json.loads((DATA / "tydiqa_id" / f"{split}.json").read_text(encoding="utf-8")):
            pid = "p" + hashlib.sha1(item["context"].encode()).hexdigest()[:12]
            paragraphs[pid] = item["context"]
    queries, gold = [], []
    for item in json.loads((DATA / "tydiqa_id" / "valid.json").read_text(encoding="utf-8")):
        pid = "p" + hashlib.sha1(item["context"].encode()).hexdigest()[:12]
        for qa in item["qas"]:
            queries.append(qa["question"])
            gold.append(pid)
    docs = [Document(pid, text) for pid, text in paragraphs.items()]
    return docs, queries, gold


def ntrex_data() -> tuple[list[Document], list[str], list[str]]:
    folder = DATA / "ntrex128_eng_ind"
    ids = (folder / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    eng = (folder / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    ind = (folder / "newstest2019-ref.ind.txt").read_text(encoding="utf-8").splitlines()
    texts: dict[str, list[str]] = {}
    for doc_id, sentence in zip(ids, ind, strict=True):
        texts.setdefault(doc_id, []).append(sentence)
    docs = [Document(doc_id, " ".join(sents)) for doc_id, sents in texts.items()]
    return docs, eng, ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=["ingest", "latency", "tydi", "ntrex", "all"])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "core.json")
    parser.add_argument("--rounds", type=int, default=3, help="alternating pipeline/bare rounds for ingest")
    parser.add_argument("--repeats", type=int, default=3, help="passes over the latency queries")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    emb = load_embedder(DEFAULT_MODEL, settings=settings)
    assert isinstance(emb, SentenceTransformerEmbedder)
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    results["machine"] = machine()
    parts = ["ingest", "latency", "tydi", "ntrex"] if args.part == "all" else [args.part]
    with tempfile.TemporaryDirectory(prefix="egov-bench-") as tmp:
        work = Path(tmp)
        for part in parts:
            print(f"== {part}", flush=True)
            if part == "ingest":
                results["ingest"] = bench_ingest(emb, work, args.rounds)
            elif part == "latency":
                if "ingest-0" not in {p.name for p in work.iterdir()}:
                    build_index(regulation_docs(), work / "ingest-0", embedder=emb)
                results["latency"] = bench_latency(emb, work / "ingest-0", args.repeats)
            elif part == "tydi":
                results["tydi"] = quality(emb, work, "tydi", *tydi_data())
            else:
                results["ntrex"] = quality(emb, work, "ntrex", *ntrex_data())
            print(json.dumps(results[part], indent=2), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
