"""Speed of the default model's engines, side by side in one run: ONNX int8 against sentence-transformers (torch).

    python benchmarks/bench_speed.py parity --out benchmarks/results/speed.json
    python benchmarks/bench_speed.py ingest --rounds 2
    python benchmarks/bench_speed.py cli --rounds 5

Parts:
- ``parity``: the quality the engines give. TyDi QA-id valid (402 questions, all 4,264 pooled
  paragraphs) and NTREX-128 en->id (1,997 English sentences -> 123 Indonesian documents): R@1,
  R@10 and MRR@10 of documents, dense and hybrid. The indexes and vectors are cached under
  benchmarks/results/cache/ (the torch ones are those bench_qa.py and answer_data.py use).
  Parity of the evidence accuracy is bench_qa.py run once per engine (--backend).
- ``ingest``: build_index over the regulations slice of bench_core.py, the engines alternating
  round by round; chunks per second and the ratio of the medians.
- ``cli``: wall time of ``egov-qa ask`` on the shipped corpus, from process start to the answer
  printed, one fresh process per run, the engines alternating.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from answer_data import CACHE, open_index
from bench_core import DATA, ROOT, machine, ntrex_data, ranking_metrics, regulation_docs, tydi_data
from egov_qa import Index, Settings, build_index
from egov_qa.config import BACKEND_ONNX, BACKEND_ST
from egov_qa.embedding import Embedder, load_embedder
from embed_cache import CachedEmbedder

ENGINES = (BACKEND_ST, BACKEND_ONNX)
CLI_QUESTION = "Siapa yang mengevaluasi penerapan SPBE?"


def rankings(index: Index, queries: list[str], mode: str) -> list[list[str]]:
    ranked = []
    for q in queries:
        seen: list[str] = []
        for hit in index.search(q, top_k=40, highlight=False, mode=mode):  # type: ignore[arg-type]
            if hit.doc_id not in seen:
                seen.append(hit.doc_id)
        ranked.append(seen[:10])
    return ranked


def parity(engines: dict[str, Embedder]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, data in (("tydi", tydi_data), ("ntrex", ntrex_data)):
        docs, queries, gold = data()
        for engine, emb in engines.items():
            index = open_index(name, docs, CachedEmbedder(emb, CACHE / "vectors.sqlite"))
            for mode in ("dense", "hybrid"):
                metrics = ranking_metrics(rankings(index, queries, mode), gold)
                out.setdefault(name, {}).setdefault(mode, {})[engine] = metrics
                print(f"  {name} {mode} {engine}: {metrics}", flush=True)
        for mode in ("dense", "hybrid"):
            by = out[name][mode]
            by["R@1_difference"] = by[BACKEND_ONNX]["R@1"] - by[BACKEND_ST]["R@1"]
    return out


def ingest(engines: dict[str, Embedder], rounds: int) -> dict[str, Any]:
    docs = regulation_docs()
    seconds: dict[str, list[float]] = {e: [] for e in engines}
    chunks = 0
    with tempfile.TemporaryDirectory(prefix="egov-speed-") as tmp:
        for r in range(rounds):
            for engine, emb in engines.items():
                start = time.perf_counter()
                report = build_index(docs, Path(tmp) / f"{engine}-{r}", embedder=emb)
                seconds[engine].append(time.perf_counter() - start)
                chunks = report.chunks_embedded
                print(f"  round {r + 1} {engine}: {seconds[engine][-1]:.1f} s, {chunks} chunks", flush=True)
    rate = {e: chunks / statistics.median(s) for e, s in seconds.items()}
    return {
        "documents": len(docs),
        "pages": sum(len(d.pages) for d in docs),
        "chunks": chunks,
        "rounds": rounds,
        "seconds": seconds,
        "chunks_per_s_median": rate,
        "onnx_over_torch": rate[BACKEND_ONNX] / rate[BACKEND_ST],
    }


def cli(rounds: int, settings: Settings) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("egov-qa")
    seconds: dict[str, list[float]] = {e: [] for e in ENGINES}
    with tempfile.TemporaryDirectory(prefix="egov-cli-") as tmp:
        for engine in ENGINES:
            index = Path(tmp) / engine
            build_index(ROOT / "corpus", index, settings=Settings(models_dir=settings.models_dir, backend=engine))
        for r in range(rounds + 1):
            for engine in ENGINES:
                env = {**os.environ, "EGOV_QA_INDEX_DIR": str(Path(tmp) / engine)}
                env.pop("EGOV_QA_BACKEND", None)
                start = time.perf_counter()
                done = subprocess.run([str(exe), "ask", CLI_QUESTION], env=env, capture_output=True, text=True)
                took = time.perf_counter() - start
                if done.returncode or "Kementerian PANRB" not in done.stdout:
                    raise RuntimeError(f"egov-qa ask failed on {engine}: {done.stdout}{done.stderr}")
                if r:  # the first round warms the page cache for both
                    seconds[engine].append(took)
                    print(f"  round {r} {engine}: {took:.2f} s", flush=True)
    median = {e: statistics.median(s) for e, s in seconds.items()}
    return {
        "question": CLI_QUESTION,
        "rounds": rounds,
        "seconds": seconds,
        "median_s": median,
        "torch_over_onnx": median[BACKEND_ST] / median[BACKEND_ONNX],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=["parity", "ingest", "cli"])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "speed.json")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.part != "cli" and not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    results["machine"] = machine()
    if args.part == "cli":
        results["cli"] = cli(args.rounds, settings)
    else:
        engines = {e: load_embedder(backend=e, settings=settings) for e in ENGINES}
        results[args.part] = parity(engines) if args.part == "parity" else ingest(engines, args.rounds)
    print(json.dumps(results[args.part], indent=2), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
