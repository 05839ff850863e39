"""The app as a visitor meets it: `egov-qa serve` on the shipped corpus, Debian's Chromium through Playwright.

    python benchmarks/bench_app.py --rounds 3 --out benchmarks/results/app.json

Each round starts a fresh server per engine (the engines alternating), waits until Streamlit's
health check answers (the server is ready), then times in a new browser page: the first page
(the question box visible), and the first answer (a question typed and sent, until its evidence
is shown). Both engines' indexes are built first and the model files are in the page cache.
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
import urllib.request
from pathlib import Path
from typing import Any

from bench_core import ROOT, machine
from egov_qa import Settings, build_index
from egov_qa.config import BACKEND_ONNX, BACKEND_ST

QUESTION = "Siapa yang mengevaluasi penerapan SPBE?"
ANSWER_WORDS = "Kementerian PANRB"


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError("egov-qa serve exited")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("egov-qa serve did not come up")


def one_visit(index: Path, port: int, browser: Any) -> dict[str, float]:
    env = {**os.environ, "EGOV_QA_INDEX_DIR": str(index), "EGOV_QA_CORPUS_DIR": str(ROOT / "corpus")}
    env.pop("EGOV_QA_BACKEND", None)
    cmd = [sys.executable, "-m", "egov_qa", "serve", "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://localhost:{port}"
    try:
        wait_ready(url, proc)
        ready = time.perf_counter()
        page = browser.new_page()
        page.goto(url)
        box = page.get_by_role("textbox").first
        box.wait_for(state="visible", timeout=120_000)
        first_page = time.perf_counter()
        box.fill(QUESTION)
        box.press("Enter")
        page.get_by_text(ANSWER_WORDS).first.wait_for(state="visible", timeout=120_000)
        answered = time.perf_counter()
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "server_ready_s": ready - started,
        "first_page_s": first_page - ready,
        "first_answer_s": answered - first_page,
    }


def main() -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "app.json")
    args = parser.parse_args()
    settings = Settings.from_env()
    engines = (BACKEND_ST, BACKEND_ONNX)
    runs: dict[str, list[dict[str, float]]] = {e: [] for e in engines}
    with tempfile.TemporaryDirectory(prefix="egov-app-") as tmp, sync_playwright() as pw:
        for engine in engines:
            build_index(
                ROOT / "corpus", Path(tmp) / engine, settings=Settings(models_dir=settings.models_dir, backend=engine)
            )
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        for r in range(args.rounds):
            for engine in engines:
                visit = one_visit(Path(tmp) / engine, args.port, browser)
                runs[engine].append(visit)
                print(f"  round {r + 1} {engine}: " + ", ".join(f"{k} {v:.2f}" for k, v in visit.items()), flush=True)
        browser.close()
    medians = {e: {k: statistics.median(v[k] for v in runs[e]) for k in runs[e][0]} for e in engines}
    results = {"machine": machine(), "question": QUESTION, "rounds": args.rounds, "runs": runs, "median": medians}
    print(json.dumps(medians, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
