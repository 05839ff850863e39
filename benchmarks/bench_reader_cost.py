"""What one run of the answer reader costs, by the length of what it reads, beside one question embedded.

    python benchmarks/bench_reader_cost.py --out benchmarks/results/reader_cost.json

The reader reads the question and one passage together, so nothing of it can be computed before
the question is asked. This measures the floor of that cost on this machine: ``Reader.read`` of
one passage cut to N tokens (question and passage together), N from 32 to 512, and of the 5
passages ``ask`` reads, beside ``embed_queries`` of the question (the one model run a warm ask
made before the reader). Passages are cut from the shipped corpus; each is timed ``--rounds``
times after a warm-up; medians in milliseconds.

It also counts the tokens of the TyDi QA-id paragraphs (the benchmarks' 4,582-chunk index) as
the engine reads them, and what keeping a 384-dimension float16 state per token would take:
the price of computing the passages' lower layers at ingest instead of at the question.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_core import DATA, ROOT, machine, timed, tydi_data
from egov_qa import Settings
from egov_qa.chunking import split_sentences
from egov_qa.embedding import load_embedder
from egov_qa.evidence import evidence_units
from egov_qa.reading import load_reader

QUESTION = "Siapa yang mengevaluasi penerapan SPBE?"
LENGTHS = (32, 64, 128, 256, 512)
STATE_BYTES = 384 * 2  # one token's state, float16


def words_of_corpus() -> list[str]:
    words: list[str] = []
    for path in sorted((ROOT / "corpus").glob("*.*")):
        words += path.read_text(encoding="utf-8").split()
    return words


def passage_of(words: list[str], tokens: int, count: Callable[[str], int]) -> str:
    """The longest run of the corpus's words whose joint input with QUESTION has at most ``tokens`` tokens."""
    low, high = 1, len(words)
    while low < high:
        mid = (low + high + 1) // 2
        if count(" ".join(words[:mid])) <= tokens:
            low = mid
        else:
            high = mid - 1
    return " ".join(words[:low])


def median_ms(run: Callable[[], object], rounds: int) -> float:
    run()
    return statistics.median(timed(run)[0] * 1000 for _ in range(rounds))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "reader_cost.json")
    args = parser.parse_args()
    settings = Settings.from_env()
    embedder = load_embedder(settings=settings)
    reader = load_reader(settings.models_dir)
    question_tokens = embedder.count_tokens([f"query: {QUESTION} passage: "])[0]

    def count(text: str) -> int:
        return question_tokens + embedder.count_tokens([text])[0] - 2

    words = words_of_corpus()
    passages = {n: passage_of(words, n, count) for n in LENGTHS}
    units = {n: evidence_units(p, [(s.start, s.end) for s in split_sentences(p)]) for n, p in passages.items()}
    ask_five = [passage_of(words[i * 150 :], 200, count) for i in range(5)]
    ask_units = [evidence_units(p, [(s.start, s.end) for s in split_sentences(p)]) for p in ask_five]
    rows: dict[str, Any] = {"question_embedded": median_ms(lambda: embedder.embed_queries([QUESTION]), args.rounds)}
    for n in LENGTHS:
        rows[f"read_{n}_tokens"] = median_ms(lambda n=n: reader.read(QUESTION, [passages[n]], [units[n]]), args.rounds)
    rows["read_5_passages_of_200_tokens"] = median_ms(lambda: reader.read(QUESTION, ask_five, ask_units), args.rounds)
    for name, ms in rows.items():
        print(f"{name:32} {ms:8.1f} ms")
    out: dict[str, Any] = {"machine": machine(), "rounds": args.rounds, "median_ms": rows}
    if DATA.is_dir():
        docs = tydi_data()[0]
        tokens = sum(embedder.count_tokens([embedder.passage_prompt + d.text for d in docs]))
        out["tydi_states"] = {"paragraphs": len(docs), "tokens": tokens, "bytes": tokens * STATE_BYTES}
        print(f"TyDi QA-id: {len(docs)} paragraphs, {tokens} tokens, states {tokens * STATE_BYTES / 1e6:.0f} MB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
