"""`ask` latency, this checkout against an earlier commit, side by side in one run.

    python benchmarks/bench_ask_latency.py --baseline e13430c --questions 60 --rounds 2

The earlier commit is checked out as a git worktree under benchmarks/results/cache/; each round
runs one fresh process per version (alternating, so both see the same machine load) that opens
the cached TyDi index (benchmarks/answer_data.py builds it), asks one warm-up question, then asks
the first N TyDi QA-id valid questions once each (a cold ask: their passages' sentences are not
yet embedded) and once more (warm). Prints and stores the medians and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench_core import DATA, ROOT, machine

CACHE = ROOT / "benchmarks" / "results" / "cache"

CHILD = r"""
import json, sys, time
from egov_qa import load_index
index = load_index(sys.argv[1])
questions = json.loads(sys.argv[2])
index.ask("Apa itu pelayanan publik?")
out = {"cold": [], "warm": []}
for kind in ("cold", "warm"):
    for q in questions:
        t = time.perf_counter()
        index.ask(q)
        out[kind].append((time.perf_counter() - t) * 1000)
print(json.dumps(out))
"""


def worktree(commit: str) -> Path:
    sha = subprocess.run(
        ["git", "rev-parse", commit], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    path = CACHE / f"baseline-{sha[:10]}"
    if not path.is_dir():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(path), sha], cwd=ROOT, check=True, capture_output=True
        )
    return path


def run(src: Path, questions: list[str]) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(CACHE / "tydi"), json.dumps(questions)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="the commit to compare with")
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ask_latency.json")
    args = parser.parse_args()
    if not (CACHE / "tydi").is_dir():
        sys.exit("no cached TyDi index: run python benchmarks/answer_data.py tydi-valid first")
    rows = json.loads((DATA / "tydiqa_id" / "valid.json").read_text(encoding="utf-8"))
    questions = [qa["question"] for item in rows for qa in item["qas"]][: args.questions]
    versions = {"baseline": worktree(args.baseline) / "src", "current": ROOT / "src"}
    times: dict[str, dict[str, list[float]]] = {name: {"cold": [], "warm": []} for name in versions}
    for r in range(args.rounds):
        for name, src in versions.items():
            got = run(src, questions)
            for kind in ("cold", "warm"):
                times[name][kind] += got[kind]
            print(
                f"round {r + 1} {name}: cold p50 {np.median(got['cold']):.0f} ms, warm {np.median(got['warm']):.0f} ms"
            )
    summary = {name: {f"{kind}_ms_p50": float(np.median(v)) for kind, v in t.items()} for name, t in times.items()}
    for kind in ("cold", "warm"):
        summary[f"{kind}_ratio"] = summary["current"][f"{kind}_ms_p50"] / summary["baseline"][f"{kind}_ms_p50"]
    result = {"machine": machine(), "baseline": args.baseline, "questions": len(questions), "rounds": args.rounds,
              **summary}  # fmt: skip
    print(json.dumps(result, indent=1))
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
