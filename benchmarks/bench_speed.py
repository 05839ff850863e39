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
- ``quantisation``: which matrix products stay fp32 in the int8 engine. Each variant is built
  from the same fused export; cosines to the fp32 model (torch) on 200 TyDi QA-id valid
  paragraphs and 200 questions, and passages per second, the variants alternating.
- ``cold``: ``ask`` latency on an index of over 20,000 chunks (TyDi QA-id and IDK-MRC paragraphs,
  all 197 regulations; ONNX, built once under benchmarks/results/cache/), for questions never
  asked before (a cold ask), then again (warm): the index as built, whose evidence units were
  pooled at ingest, against a copy of it without them (the units embedded per question, as
  before); and the team-made English questions about the regulations, whose units are embedded
  per question (``--against SRC``: also with another egov-qa's source, e.g. a worktree of an
  older commit). One fresh process per variant and round, alternating.
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
from bench_ask_latency import CHILD as ASK_CHILD
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


def quantisation(settings: Settings, rounds: int) -> dict[str, Any]:
    import shutil

    from egov_qa.modelprep import provision_default_model
    from egov_qa.onnx_embedder import OnnxEmbedder
    from egov_qa.onnx_model import (
        ONNX_FILE,
        TOKENIZER_FILE,
        export_fused,
        onnx_model_dir,
        provision_onnx_model,
        quantise,
        read_info,
    )

    ffn_out = [f"/bert/encoder/layer.{n}/output/dense/MatMul" for n in range(12)]
    variants = {"nothing": (), "layer 4": (ffn_out[4],), "layers 0-5 (shipped)": tuple(ffn_out[:6]),
                "all 12 layers": tuple(ffn_out)}  # fmt: skip
    source = provision_default_model(settings.models_dir)
    info = read_info(provision_onnx_model(settings.models_dir))
    data = json.loads((DATA / "tydiqa_id" / "valid.json").read_text(encoding="utf-8"))
    passages = [item["context"] for item in data][:200]
    questions = [qa["question"] for item in data for qa in item["qas"]][:200]
    fp32 = load_embedder(backend=BACKEND_ST, settings=settings)
    ref_p, ref_q = fp32.embed_passages(passages), fp32.embed_queries(questions)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="egov-quant-") as tmp:
        export_fused(source, Path(tmp) / "fused.onnx")
        engines = {}
        for name, keep in variants.items():
            folder = Path(tmp) / name.replace(" ", "_")
            folder.mkdir()
            quantise(Path(tmp) / "fused.onnx", folder / ONNX_FILE, keep)
            shutil.copy(onnx_model_dir(settings.models_dir) / TOKENIZER_FILE, folder / TOKENIZER_FILE)
            engines[name] = OnnxEmbedder(folder, info={**info, "fingerprint": name})
        rates: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, emb in engines.items():
                start = time.perf_counter()
                emb.embed_passages(passages)
                rates[name].append(len(passages) / (time.perf_counter() - start))
        for name, emb in engines.items():
            cos_p = (emb.embed_passages(passages) * ref_p).sum(1)
            cos_q = (emb.embed_queries(questions) * ref_q).sum(1)
            out[name] = {
                "kept_fp32": list(variants[name]),
                "passages_mean_cosine": float(cos_p.mean()),
                "passages_lowest_cosine": float(cos_p.min()),
                "questions_mean_cosine": float(cos_q.mean()),
                "questions_lowest_cosine": float(cos_q.min()),
                "passages_per_s_median": statistics.median(rates[name]),
            }
            print(f"  {name}: {out[name]}", flush=True)
    return out


def english_questions() -> list[str]:
    """The team-made English questions about the regulations (all in the 20k index): Q&A and known-item."""
    out = []
    for name, key in (("regulation_questions.jsonl", "question"), ("regulations_known_item.jsonl", "query")):
        for line in (ROOT / "benchmarks" / "data" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["language"] == "en":
                out.append(row[key])
    return out


def cold(settings: Settings, rounds: int, n_questions: int, against: Path | None) -> dict[str, Any]:
    import shutil
    import sqlite3

    from answer_data import idk_docs
    from bench_hybrid import regulations
    from egov_qa import Manifest

    emb = load_embedder(backend=BACKEND_ONNX, settings=settings)
    folder = CACHE / f"latency-20k-onnx-{emb.fingerprint()[-8:]}"
    docs = {d.doc_id: d for d in [*tydi_data()[0], *idk_docs(), *regulations(1000)]}
    report = build_index(list(docs.values()), folder, embedder=emb)
    print(f"  index {folder.name}: {report.total_chunks} chunks ({report.chunks_embedded} embedded now)", flush=True)
    bare = CACHE / f"{folder.name}-without-units"
    shutil.rmtree(bare, ignore_errors=True)
    shutil.copytree(folder, bare)
    with sqlite3.connect(bare / Manifest.read(bare).store_file) as db:
        db.execute("UPDATE chunks SET units = NULL")
    sets = {"id": tydi_data()[1][:n_questions], "en": english_questions()}
    # (index, source, language): an English question embeds its units whatever the index kept
    variants: dict[str, tuple[Path, Path | None, str]] = {
        "units_kept_at_ingest": (folder, None, "id"),
        "units_embedded_per_question": (bare, None, "id"),
        "english": (folder, None, "en"),
        **({"english_against": (folder, against, "en")} if against else {}),
    }
    ms: dict[str, dict[str, list[float]]] = {v: {"cold": [], "warm": []} for v in variants}
    for r in range(rounds):
        for name, (path, src, language) in variants.items():
            env = {**os.environ, **({"PYTHONPATH": str(src)} if src else {})}
            done = subprocess.run(
                [sys.executable, "-c", ASK_CHILD, str(path), json.dumps(sets[language])],
                capture_output=True, text=True, check=True, env=env,
            )  # fmt: skip
            out = json.loads(done.stdout)
            for kind in ("cold", "warm"):
                ms[name][kind] += out[kind]
            print(f"  round {r + 1} {name}: cold p50 {statistics.median(out['cold']):.0f} ms", flush=True)

    def pct(xs: list[float], p: float) -> float:
        return float(sorted(xs)[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))])

    summary = {
        name: {f"{kind}_ms_p{p}": pct(v[kind], p) for kind in ("cold", "warm") for p in (50, 95)}
        for name, v in ms.items()
    }
    result = {
        "chunks": report.total_chunks,
        "documents": report.total_documents,
        "questions": {language: len(qs) for language, qs in sets.items()},
        "rounds": rounds,
        "against": str(against) if against else None,
        "summary": summary,
        "cold_p50_ratio_embedded_over_kept": summary["units_embedded_per_question"]["cold_ms_p50"]
        / summary["units_kept_at_ingest"]["cold_ms_p50"],
    }
    if against:
        result["english_cold_p50_ratio_against_over_this"] = (
            summary["english_against"]["cold_ms_p50"] / summary["english"]["cold_ms_p50"]
        )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=["parity", "ingest", "cli", "cold", "quantisation"])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "speed.json")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=100, help="cold: TyDi QA-id valid questions per round")
    parser.add_argument(
        "--against", type=Path, help="cold: also time English questions on the egov-qa whose src/ this is"
    )
    args = parser.parse_args()
    if args.part != "cli" and not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    results["machine"] = machine()
    if args.part == "cli":
        results["cli"] = cli(args.rounds, settings)
    elif args.part == "cold":
        results["cold"] = cold(settings, args.rounds, args.questions, args.against)
    elif args.part == "quantisation":
        results["quantisation"] = quantisation(settings, args.rounds)
    else:
        engines = {e: load_embedder(backend=e, settings=settings) for e in ENGINES}
        results[args.part] = parity(engines) if args.part == "parity" else ingest(engines, args.rounds)
    print(json.dumps(results[args.part], indent=2), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
