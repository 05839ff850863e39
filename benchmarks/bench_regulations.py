"""Regulations read as regulations: the parser check, ingest throughput and the team-made question set.

    python benchmarks/bench_regulations.py parser                   # seconds, no model
    python benchmarks/bench_regulations.py ingest --baseline fbe5b42 --rounds 3
    python benchmarks/bench_regulations.py qa --baseline fbe5b42
    python benchmarks/bench_regulations.py rescore                  # score the kept answers again
    python benchmarks/bench_regulations.py known                    # issue 4's known-item set, this checkout

``parser`` parses every regulation of ../shared/data/regulations_id and compares the Pasal found
with the Pasal headings in the body's text (the lines "Pasal N" before the signature).
``ingest`` times the whole ingest of the core regulations slice (bench_core.py's
CORE_REGULATIONS) by this checkout and by an earlier commit (a git worktree), alternating, each
in a fresh process with the real default model. ``qa`` indexes the regulations of
benchmarks/data/regulation_questions.jsonl with both versions, asks every question and every
citation lookup (benchmarks/data/citation_lookups.jsonl), and scores both against the labelled
Pasal, located in each version's own stored text by this checkout's parser.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench_ask_latency import worktree
from bench_core import CORE_REGULATIONS, DATA, ROOT, machine
from egov_qa.regulation import Regulation, parse_regulation

RESULTS = ROOT / "benchmarks" / "results"
CACHE = RESULTS / "cache"
QUESTIONS = ROOT / "benchmarks" / "data" / "regulation_questions.jsonl"
LOOKUPS = ROOT / "benchmarks" / "data" / "citation_lookups.jsonl"
_BODY_HEADING = re.compile(r"^[ \t]*Pas[aA][lL1IJ]\s+(\d[\dOIl]{0,2})[ \t]*$", re.MULTILINE)
_CLOSING = re.compile(r"^[ \t]*(?:Ditetapkan|Disahkan|Dikeluarkan)\s+di\b", re.MULTILINE)

CHILD = r"""
import json, sys, time
from pathlib import Path
from egov_qa import build_index, load_index
corpus, index, task = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
t = time.perf_counter()
report = build_index(corpus, index)
out = {"ingest_seconds": time.perf_counter() - t, "chunks": report.total_chunks, "documents": report.total_documents}
if task:
    ix = load_index(index)
    def hits(result):
        return [[h.doc_id, h.start, h.end] for h in result]
    out["questions"] = []
    for q in task["questions"]:
        a = ix.ask(q)
        top = [a.evidence[0].doc_id, a.evidence[0].start, a.evidence[0].end] if a.evidence else None
        out["questions"].append({"hits": hits(a.hits), "evidence": top, "answered": a.answered})
    out["lookups"] = [hits(ix.search(q, top_k=5, highlight=False)) for q in task["lookups"]]
print(json.dumps(out))
"""


def read_regulations(wanted: Iterable[str] | None = None) -> list[dict[str, Any]]:
    keep = set(wanted) if wanted is not None else None
    rows = []
    with open(DATA / "regulations_id" / "documents.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if keep is None or row["doc_id"] in keep:
                rows.append(row)
    return rows


def write_corpus(rows: list[dict[str, Any]], folder: Path) -> None:
    """Write regulations as a JSONL corpus file: each version reads and cleans the pages its own way."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "regulations.jsonl", "w", encoding="utf-8") as fh:
        for row in rows:
            line = {"id": row["doc_id"], "pages": row["pages"], "type": row["type"], "year": row["year"]}
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def run_child(src: Path, corpus: Path, index: Path, task: dict[str, Any] | None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(corpus), str(index), json.dumps(task or {})],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"child failed for {src}:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# ---- parser check -------------------------------------------------------------------------------


def body_headings(text: str) -> list[int]:
    """Return the Pasal numbers written as headings in the body (before the signature), OCR read through."""
    closing = _CLOSING.search(text)
    body = text[: closing.start()] if closing else text
    table = str.maketrans("OIl", "011")
    return [int(m.group(1).translate(table)) for m in _BODY_HEADING.finditer(body)]


def check(doc_id: str, text: str) -> dict[str, Any]:
    reg = parse_regulation(text)
    row: dict[str, Any] = {"doc_id": doc_id, "regulation": reg is not None and reg.identity is not None}
    if reg is None or reg.identity is None:
        return {**row, "kind": "not read as a regulation"}
    numbers = [u.pasal for u in reg.articles]
    numeric = [int(n) for n in numbers if n.isdigit()]
    headings = body_headings(text)
    highest = max(headings, default=0)
    explained = {u.pasal for u in reg.units if u.part == "penjelasan"}
    row.update(
        reference=reg.identity.token,
        kind="amending (Pasal I/II)" if reg.amending else ("articles" if numbers else "instructions/headings"),
        pasal_found=len(numbers),
        highest_in_text=highest,
        missing=sorted(set(range(1, highest + 1)) - set(numeric)) if not reg.amending else [],
        duplicated=sorted({n for n in numbers if numbers.count(n) > 1}),
        penjelasan=len(explained),
        penjelasan_linked=len(explained & set(numbers)),
        diktum=sum(u.part == "diktum" for u in reg.units),
        amends=[t for t, _ in reg.amends],
        repeals=[t for t, _ in reg.repeals],
        problems=reg.problems,
    )
    return row


def part_parser(out: Path) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    from egov_qa.corpus.jsonl import jsonl_documents

    rows = []
    for raw in read_regulations():
        line = json.dumps({"id": raw["doc_id"], "pages": raw["pages"]})
        docs, _ = jsonl_documents("r", line)
        rows.append(check(raw["doc_id"], docs[0].text))
    articles = [r for r in rows if r.get("kind") == "articles"]
    complete = [
        r for r in articles if not r["missing"] and not r["duplicated"] and r["pasal_found"] == r["highest_in_text"]
    ]
    with_penjelasan = [r for r in articles if r["penjelasan"]]
    summary = {
        "documents": len(rows),
        "read_as_regulation": sum(r["regulation"] for r in rows),
        "with_articles": len(articles),
        "amending": sum(r.get("kind") == "amending (Pasal I/II)" for r in rows),
        "instructions_or_headings": sum(r.get("kind") == "instructions/headings" for r in rows),
        "articles_complete": len(complete),
        "pasal_found": sum(r["pasal_found"] for r in articles),
        "pasal_missing": sum(len(r["missing"]) for r in articles),
        "pasal_duplicated": sum(len(r["duplicated"]) for r in articles),
        "with_penjelasan": len(with_penjelasan),
        "penjelasan_units": sum(r["penjelasan"] for r in with_penjelasan),
        "penjelasan_linked": sum(r["penjelasan_linked"] for r in with_penjelasan),
    }
    result = {"summary": summary, "documents": rows}
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(json.dumps(summary, indent=1))
    for r in articles:
        if r not in complete:
            print(
                f"  {r['doc_id'][:60]}: found {r['pasal_found']} of {r['highest_in_text']}, missing {r['missing'][:8]}"
            )
    for r in rows:
        if not r["regulation"]:
            print(f"  not read as a regulation: {r['doc_id']}")
    return result


# ---- ingest throughput ----------------------------------------------------------------------------


def part_ingest(baseline: str, rounds: int, out: Path) -> dict[str, Any]:
    rows = read_regulations(CORE_REGULATIONS)
    versions = {"baseline": worktree(baseline) / "src", "current": ROOT / "src"}
    seconds: dict[str, list[float]] = {name: [] for name in versions}
    chunks: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        write_corpus(rows, corpus)
        for r in range(rounds):
            for name, src in versions.items():
                got = run_child(src, corpus, Path(tmp) / f"{name}-{r}", None)
                seconds[name].append(got["ingest_seconds"])
                chunks[name] = got["chunks"]
                print(f"round {r + 1} {name}: {got['ingest_seconds']:.1f} s, {got['chunks']} chunks", flush=True)
    pages = sum(len(r["pages"]) for r in rows)
    ratios = [b / c for b, c in zip(seconds["baseline"], seconds["current"], strict=True)]
    result = {
        "machine": machine(), "baseline": baseline, "documents": [r["doc_id"] for r in rows], "pages": pages,
        "rounds": rounds, "seconds": seconds, "chunks": chunks,
        "pages_per_s_median": {n: pages / statistics.median(s) for n, s in seconds.items()},
        "throughput_ratio_median": statistics.median(ratios),
    }  # fmt: skip
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))
    return result


# ---- the question set --------------------------------------------------------------------------


def stored_texts(index: Path) -> dict[str, str]:
    """Return {doc_id without the corpus file prefix: cleaned text} as a version stored it."""
    manifest = json.loads((index / "manifest.json").read_text())
    db = sqlite3.connect(index / manifest["files"]["store"])
    rows = db.execute("SELECT doc_id, text FROM documents").fetchall()
    db.close()
    return {doc_id.split("#", 1)[1]: text for doc_id, text in rows}


def unit_span(reg: Regulation, pasal: str, part: str = "pasal", ayat: str | None = None) -> tuple[int, int] | None:
    unit = reg.article(pasal, part)
    if unit is None:
        return None
    if ayat:
        starts = [s for s, path in unit.marks if path and path[0] == ("ayat", ayat)]
        later = [s for s, path in unit.marks if starts and s > starts[0] and path and path[0][0] == "ayat"]
        if starts:
            return starts[0], later[0] if later else unit.end
    return unit.start, unit.end


def inside(hit: list[Any], gold_doc: str, span: tuple[int, int] | None) -> bool:
    """Whether a hit (doc_id, start, end) is at the gold unit.

    It is when they overlap by more than half of the shorter of the two: a Pasal-sized chunk
    inside the Pasal, or a longer chunk (the token-budget chunker's) holding most of the Pasal.
    """
    doc_id, start, end = hit[0].split("#", 1)[-1], hit[1], hit[2]
    if doc_id != gold_doc or span is None:
        return False
    overlap = min(end, span[1]) - max(start, span[0])
    return overlap > min(end - start, span[1] - span[0]) / 2


def sentence_in(evidence: list[Any] | None, gold_doc: str, span: tuple[int, int] | None) -> bool:
    """Whether an evidence sentence (doc_id, start, end) stands in the gold unit (its middle inside the span)."""
    if evidence is None or span is None or evidence[0].split("#", 1)[-1] != gold_doc:
        return False
    return span[0] <= (evidence[1] + evidence[2]) // 2 < span[1]


def score(got: dict[str, Any], questions: list[dict[str, Any]], lookups: list[dict[str, Any]],
          texts: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    regs = {d: parse_regulation(t) for d, t in texts.items()}
    per_language: dict[str, dict[str, list[float]]] = {}
    for q, r in zip(questions, got["questions"], strict=True):
        reg = regs[q["doc_id"]]
        span = unit_span(reg, q["pasal"]) if reg else None
        hits = r["hits"]
        m = per_language.setdefault(
            q["language"], {"regulation_r1": [], "pasal_r1": [], "pasal_r5": [], "evidence": []}
        )
        m["regulation_r1"].append(float(bool(hits) and hits[0][0].split("#", 1)[-1] == q["doc_id"]))
        m["pasal_r1"].append(float(bool(hits) and inside(hits[0], q["doc_id"], span)))
        m["pasal_r5"].append(float(any(inside(h, q["doc_id"], span) for h in hits[:5])))
        ev = r["evidence"]
        m["evidence"].append(float(sentence_in(ev, q["doc_id"], span)))
    table = {lang: {k: sum(v) / len(v) for k, v in m.items()} | {"n": len(m["pasal_r1"])}
             for lang, m in per_language.items()}  # fmt: skip
    every = {
        k: [x for m in per_language.values() for x in m[k]]
        for k in ("regulation_r1", "pasal_r1", "pasal_r5", "evidence")
    }
    table["all"] = {k: sum(v) / len(v) for k, v in every.items()} | {"n": len(every["pasal_r1"])}
    found = []
    for q, hits in zip(lookups, got["lookups"], strict=True):
        reg = regs[q["doc_id"]]
        part = "penjelasan" if q["penjelasan"] else "pasal"
        span = unit_span(reg, q["pasal"], part) if reg else None
        ok = bool(hits) and inside(hits[0], q["doc_id"], span)
        if ok and q["ayat"] and reg is not None:
            ayat = unit_span(reg, q["pasal"], part, q["ayat"])
            ok = ayat is not None and hits[0][1] <= ayat[0] < hits[0][2]
        found.append(ok)
    table["lookups"] = {"r1": sum(found) / len(found), "n": len(found),
                        "failed": [q["query"] for q, ok in zip(lookups, found, strict=True) if not ok]}  # fmt: skip
    return table


def part_qa(baseline: str, out: Path, *, rescore: bool = False) -> dict[str, Any]:
    """Index and ask with both versions (``rescore``: score the answers kept from the last run again)."""
    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    lookups = [json.loads(line) for line in LOOKUPS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = read_regulations({q["doc_id"] for q in questions} | {q["doc_id"] for q in lookups})
    task = {"questions": [q["question"] for q in questions], "lookups": [q["query"] for q in lookups]}
    versions = {"baseline": worktree(baseline) / "src", "current": ROOT / "src"}
    result: dict[str, Any] = {"machine": machine(), "baseline": baseline, "documents": len(rows),
                              "pages": sum(len(r["pages"]) for r in rows)}  # fmt: skip
    corpus = CACHE / "regulation-qa-corpus"
    write_corpus(rows, corpus)
    for name, src in versions.items():
        index, raw = CACHE / f"regulation-qa-{name}", CACHE / f"regulation-qa-{name}.json"
        if not rescore:
            shutil.rmtree(index, ignore_errors=True)
            raw.write_text(json.dumps(run_child(src, corpus, index, task)))
        got = json.loads(raw.read_text())
        result[name] = {"ingest_seconds": got["ingest_seconds"], "chunks": got["chunks"],
                        **score(got, questions, lookups, stored_texts(index))}  # fmt: skip
        print(name, json.dumps(result[name], indent=1), flush=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result


def part_known(out: Path) -> dict[str, Any]:
    """The team-made known-item set of issue 4 on this checkout, over bench_hybrid's 38 regulations.

    The documents go through the product's reader (a JSON Lines file of page texts), so they are
    titled and cut as a user's would be; search results are scored per document.
    """
    from bench_hybrid import KNOWN_ITEM, regulation_rows
    from egov_qa import build_index, load_index, read_queries
    from egov_qa.evaluation import CHUNK_DEPTH, evaluate

    queries = read_queries(KNOWN_ITEM)
    kinds: dict[str, set[str]] = {}
    for line in KNOWN_ITEM.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        kinds.setdefault(f"{row['kind']}/{row['language']}", set()).add(row["query"])
    result: dict[str, Any] = {"machine": machine(), "documents": 38}
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(regulation_rows(25), Path(tmp) / "corpus")
        result["chunks"] = build_index(Path(tmp) / "corpus", Path(tmp) / "index").total_chunks
        index = load_index(Path(tmp) / "index")
        for mode in ("dense", "lexical", "hybrid"):

            def retrieve(query: str, mode: str = mode) -> list[str]:
                hits = index.search(query, top_k=CHUNK_DEPTH, highlight=False, mode=mode)  # type: ignore[arg-type]
                return [h.doc_id.split("#", 1)[1] for h in hits]

            result[mode] = {"all": evaluate(queries, retrieve)}
            for kind, wanted in sorted(kinds.items()):
                result[mode][kind] = evaluate([q for q in queries if q.query in wanted], retrieve)
            print(mode, {k: round(v["R@1"], 3) for k, v in result[mode].items()}, flush=True)
    out.write_text(json.dumps(result, indent=2))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=("parser", "ingest", "qa", "rescore", "known"))
    parser.add_argument("--baseline", default="fbe5b42", help="the commit before regulations were parsed")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.part == "parser":
        part_parser(RESULTS / "regulation_parser.json")
    elif args.part == "known":
        part_known(RESULTS / "regulation_known_item.json")
    elif args.part == "ingest":
        part_ingest(args.baseline, args.rounds, RESULTS / "regulation_ingest.json")
    else:
        part_qa(args.baseline, RESULTS / "regulation_qa.json", rescore=args.part == "rescore")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
