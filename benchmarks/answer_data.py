"""Collect the raw material of the answer models: candidate sentences with their model scores.

For each question of a sample, ``ask``'s own retrieval (hybrid, top 5, as shipped) is run on a
pooled corpus, every evidence unit of every hit is cut as ``ask`` cuts it, and the cosines of the
unit and of the unit with its neighbours are computed with the real model (through a disk cache,
benchmarks/results/cache/vectors.sqlite), and the answer reader's scores of each unit and of "no
answer" (egov_qa.reading; train_reader.py trains it, on none of these questions). One JSON line per question goes to
benchmarks/results/cache/answer<engine>/<set>.jsonl (see engine_tag), with the gold answers (or "unanswerable"); fitting
and evaluating the models then needs no model call.

    python benchmarks/answer_data.py   # every set below

Sets: tydi-train (a fixed 500-question sample of TyDi QA-id train), tydi-valid (all 402),
idk-train (a fixed 3,000-question sample of IDK-MRC train), idk-valid (all 764); tydi-howwhy and
idk-howwhy (every other answerable Bagaimana / Mengapa question of the train split: the samples
hold too few to learn what a how or why answer looks like); nusax-train and nusax-valid (English
sentences asked against passages of 5 Indonesian NusaX sentences: the answer is the translation).
The IDK-MRC questions are asked against the pooled train+valid paragraphs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from bench_core import DATA, ROOT, tydi_data
from egov_qa import Document, Index, build_index, load_index
from egov_qa.analysis.qtypes import question_type
from egov_qa.embedding import load_embedder
from embed_cache import CachedEmbedder

CACHE = ROOT / "benchmarks" / "results" / "cache"
TOP_K = 5
TYDI_SAMPLE = 500
IDK_SAMPLE = 3000


def tydi_rows(split: str) -> list[dict[str, Any]]:
    rows = json.loads((DATA / "tydiqa_id" / f"{'train' if split == 'all' else split}.json").read_text(encoding="utf-8"))
    qs = [{"question": qa["question"], "answers": [a["text"] for a in qa["answers"]], "answerable": True}
          for item in rows for qa in item["qas"]]  # fmt: skip
    return random.Random(0).sample(qs, TYDI_SAMPLE) if split == "train" else qs


def idk_rows(split: str) -> list[dict[str, Any]]:
    rows = json.loads((DATA / "idk_mrc" / f"{'train' if split == 'all' else split}.json").read_text(encoding="utf-8"))
    qs = [{"question": qa["question"], "answers": [a["text"] for a in qa["answers"]],
           "answerable": not qa["is_impossible"]} for item in rows for qa in item["qas"]]  # fmt: skip
    return random.Random(1).sample(qs, IDK_SAMPLE) if split == "train" else qs


def how_why_rows(corpus: str) -> list[dict[str, Any]]:
    """Every answerable how/why question of a train split that is not in its sample (few in either set)."""
    rows = tydi_rows("all") if corpus == "tydi" else idk_rows("all")
    taken = {r["question"] for r in (tydi_rows("train") if corpus == "tydi" else idk_rows("train"))}
    return [r for r in rows if r["answerable"] and r["question"] not in taken
            and question_type(r["question"]) in ("how", "why")]  # fmt: skip


NUSAX_GROUP = 5


def nusax_grouped(split: str) -> tuple[list[Document], list[dict[str, Any]]]:
    """NusaX rows as English questions against Indonesian passages of 5 consecutive rows' sentences.

    Each English sentence's answer is its Indonesian translation, one sentence of one passage:
    cross-lingual training (and valid) data for choosing the evidence sentence.
    """
    rows = list(csv.DictReader((DATA / "nusax_mt" / f"{split}.csv").open(encoding="utf-8")))
    docs = [
        Document(
            f"nusax-{split}-{i // NUSAX_GROUP}",
            " ".join(" ".join(r["indonesian"].split()) for r in rows[i : i + NUSAX_GROUP]),
        )
        for i in range(0, len(rows), NUSAX_GROUP)
    ]
    questions = [{"question": r["english"], "answers": [" ".join(r["indonesian"].split())], "answerable": True,
                  "translation": True} for r in rows]  # fmt: skip
    return docs, questions


def idk_docs() -> list[Document]:
    paragraphs = {}
    for split in ("train", "valid"):
        for item in json.loads((DATA / "idk_mrc" / f"{split}.json").read_text(encoding="utf-8")):
            paragraphs["p" + hashlib.sha1(item["context"].encode()).hexdigest()[:12]] = item["context"]
    return [Document(k, v) for k, v in paragraphs.items()]


def engine_tag(emb: CachedEmbedder) -> str:
    """Name the engine build in cache folders: nothing for sentence-transformers (the names from before the ONNX
    engine), else "-engine-" and the end of its fingerprint."""
    return "" if emb.backend == "sentence-transformers" else f"-{emb.backend}-{emb.fingerprint()[-8:]}"


def open_index(name: str, docs: list[Document], emb: CachedEmbedder) -> Index:
    """Build (or update) and open the cached index ``name``, one folder per engine build."""
    folder = CACHE / f"{name}{engine_tag(emb)}"
    report = build_index(docs, folder, embedder=emb)
    print(f"  index {name}: {report.total_chunks} chunks ({report.chunks_embedded} embedded now)", flush=True)
    return load_index(folder, embedder=emb)


def collect(index: Index, rows: list[dict[str, Any]], out: Path) -> None:
    done = 0
    t = time.perf_counter()
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            result = index.search(row["question"], top_k=TOP_K, mode="hybrid", highlight=False)
            (qvec,) = index.embedder.embed_queries([row["question"].strip()])  # as ask embeds it (cached)
            units, sent, ctx = index.unit_cosines(result.hits, qvec, result.language)
            dense = index.dense_scores(result.hits, qvec)
            readings = index.read(row["question"], result.hits) or [None] * len(result.hits)
            hits = [
                {"chunk_id": h.chunk_id, "text": h.text, "rank": h.rank, "score": h.score, "dense": d,
                 "lexical": h.lexical_score, "units": [list(u) for u in us], "s": s.tolist(), "c": c.tolist(),
                 **({"r": r.units.tolist(), "null": r.no_answer} if r is not None else {})}
                for h, d, us, s, c, r in zip(result.hits, dense, units, sent, ctx, readings, strict=True)
            ]  # fmt: skip
            f.write(json.dumps({**row, "language": result.language, "hits": hits}, ensure_ascii=False) + "\n")
            done += 1
            if done % 50 == 0:
                rate = done / (time.perf_counter() - t)
                print(
                    f"  {out.stem}: {done}/{len(rows)} ({rate:.2f} q/s, {index.embedder.computed} embedded)", flush=True
                )


def main() -> int:
    sets = sys.argv[1:] or [
        "tydi-train", "idk-train", "tydi-howwhy", "idk-howwhy", "nusax-train", "tydi-valid", "idk-valid", "nusax-valid"
    ]  # fmt: skip
    emb = CachedEmbedder(load_embedder(), CACHE / "vectors.sqlite")
    out_dir = CACHE / f"answer{engine_tag(emb)}"
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"engine {emb.backend} ({emb.fingerprint()}): candidates go to {out_dir}", flush=True)
    for name in sets:
        corpus, split = name.split("-")
        if corpus == "nusax":
            docs, rows = nusax_grouped(split)
            index = open_index(f"nusax-grouped-{split}", docs, emb)
        elif corpus == "tydi":
            index = open_index("tydi", tydi_data()[0], emb)
            rows = how_why_rows("tydi") if split == "howwhy" else tydi_rows(split)
        else:
            index = open_index("idk", idk_docs(), emb)
            rows = how_why_rows("idk") if split == "howwhy" else idk_rows(split)
        print(f"== {name}: {len(rows)} questions", flush=True)
        collect(index, rows, out_dir / f"{name}.jsonl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
