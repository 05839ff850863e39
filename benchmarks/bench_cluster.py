"""The Ray ingest against the local one, on this machine's cores, side by side in one run.

    python benchmarks/bench_cluster.py --rounds 3 --out benchmarks/results/cluster.json

The corpus: the ten PDF files of ../shared/data/regulations_id/pdf_core_egov under 600 KB,
read from a folder. Each round ingests them from scratch with the default model on
the ONNX engine three ways, alternating: the local ingest (one process, onnxruntime's threads
over both cores); on Ray with two embedding workers of one CPU and one thread each; on Ray with
one such worker. Ray runs as a local runtime of two CPUs started once before the rounds (its
start-up time is reported apart); every Ray round starts its own workers, loading the model in
each. Reported: seconds and chunks per second per round, the medians, the Ray path's overhead
over the local ingest (two workers on the same two cores), and the speed-up of two workers over
one, of the whole ingest and of its embedding phase (as the Ray ingest logs it: from the
workers' models loaded to the last batch back); the per-core rate is the one-worker figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_core import DATA, ROOT, LoggedSeconds, machine
from egov_qa import ClusterOptions, Settings, build_index, load_embedder

VARIANTS = ("local", "ray_2_workers", "ray_1_worker")
# the e-government regulations shipped as PDFs, but for the three largest (1.6-1.9 MB): ten files
SLICE = sorted(p for p in (DATA / "regulations_id" / "pdf_core_egov").glob("*.pdf") if p.stat().st_size < 600_000)


def corpus(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for pdf in SLICE:
        shutil.copy(pdf, folder / pdf.name)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cluster.json")
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    settings = Settings.from_env()
    embedder = load_embedder(settings=settings)  # the local variant's model, loaded once like the driver's
    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    startup = time.perf_counter() - start
    options = {"ray_2_workers": ClusterOptions(workers=2), "ray_1_worker": ClusterOptions(workers=1)}
    seconds: dict[str, list[float]] = {v: [] for v in VARIANTS}
    embedding: dict[str, list[float]] = {v: [] for v in VARIANTS if v != "local"}
    # the embedding phase's time the Ray ingest logs (the model already loaded in each worker)
    times = LoggedSeconds(r"Embedded \d+ chunks on \d+ Ray worker\(s\) in ([\d.]+) s").listen()
    chunks = 0
    with tempfile.TemporaryDirectory(prefix="egov-cluster-") as tmp:
        docs = corpus(Path(tmp) / "corpus")
        for r in range(args.rounds):
            for variant in VARIANTS:
                start = time.perf_counter()
                report = build_index(
                    docs, Path(tmp) / f"{variant}-{r}", settings=settings, embedder=embedder,
                    cluster=options.get(variant),
                )  # fmt: skip
                seconds[variant].append(time.perf_counter() - start)
                chunks = report.chunks_embedded
                if variant in embedding:
                    embedding[variant].append(times.seconds[-1])
                print(f"  round {r + 1} {variant}: {seconds[variant][-1]:.1f} s, {chunks} chunks", flush=True)
    ray.shutdown()
    median = {v: statistics.median(s) for v, s in seconds.items()}
    result: dict[str, Any] = {
        "command": " ".join(["python", *sys.argv]),
        "machine": machine(),
        "documents": [p.name for p in SLICE],
        "chunks": chunks,
        "rounds": args.rounds,
        "ray_startup_seconds": startup,
        "seconds": seconds,
        "median_seconds": median,
        "chunks_per_s_median": {v: chunks / m for v, m in median.items()},
        "ray_overhead_over_local": median["ray_2_workers"] / median["local"] - 1,
        "two_workers_over_one_whole_ingest": median["ray_1_worker"] / median["ray_2_workers"],
        "embedding_seconds": embedding,
        "embedding_chunks_per_s_median": {v: chunks / statistics.median(s) for v, s in embedding.items()},
        "two_workers_over_one_embedding": statistics.median(embedding["ray_1_worker"])
        / statistics.median(embedding["ray_2_workers"]),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    keys = ("chunks_per_s_median", "ray_overhead_over_local", "embedding_chunks_per_s_median")
    print(json.dumps({k: result[k] for k in (*keys, "two_workers_over_one_embedding")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
