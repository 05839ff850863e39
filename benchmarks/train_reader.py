"""Tune the answer reader: the top layers of multilingual-e5-small, reading a question and a passage together.

    python benchmarks/train_reader.py --write   # ~35 min on 2 cores; writes src/egov_qa/data/reader.{npz,json}

Each example is ``query: <question> passage: <paragraph>`` cut into the evidence units ``ask``
cuts, with the units holding the gold answer's start as the answer, or "no answer" (the first
token) when the paragraph does not answer. Examples (no measured valid split, and none of the questions
train_answer.py fits the sentence scorer and the calibrator on, so that the reader's scores are
new to them):

- TyDi QA-id train: each question with its paragraph;
- IDK-MRC train: each question with its paragraph, answerable or not (about half are not);
- with ``--squad-mt`` (tried, not shipped: docs/BENCHMARKS.md), trans_squad_id (SQuAD 2.0 dev,
  machine-translated) too, each question with its paragraph, for its how and why questions;
  the how and why questions train_answer.py adds to its samples are then held out as well;
- TyDi QA-id train again: each question with the best other paragraph hybrid search finds for it,
  when that one does not hold the answer ("no answer"), so that a passage on the subject that
  does not answer learns to say so.

The first 8 layers stay as they are (their states are computed once); the last 4 get rank-16
updates of their six weight matrices, trained with two scoring vectors (units: the mean state of
a unit's tokens; no answer: the first token's state) by softmax over "no answer" and the units,
AdamW, 2 epochs, batches of 16 examples. Weights: float16 updates and float32 scoring vectors,
plain arrays in an .npz (loaded without pickle), and a JSON record of the data and the commit.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from answer_data import how_why_rows, idk_rows, open_index, tydi_rows
from bench_core import DATA, ROOT, head_commit, machine, tydi_data
from egov_qa.chunking import split_sentences
from egov_qa.config import Settings
from egov_qa.embedding import load_embedder
from egov_qa.evidence import evidence_units
from egov_qa.modelprep import provision_default_model
from egov_qa.reading import RECORD_FILE, WEIGHTS_FILE
from embed_cache import CachedEmbedder

OUT = ROOT / "src" / "egov_qa" / "data"
CACHE = ROOT / "benchmarks" / "results" / "cache"
PREFIX, JOINER = "query: ", " passage: "
TUNED = (("attention.self", "query"), ("attention.self", "key"), ("attention.self", "value"),
         ("attention.output", "dense"), ("intermediate", "dense"), ("output", "dense"))  # fmt: skip
HIDDEN = 384

Example = tuple[list[int], np.ndarray, np.ndarray]  # token ids, each token's unit (-1: none), unit labels


def encode(
    tokenizer: Any, question: str, text: str, units: list[tuple[int, int]], max_tokens: int
) -> tuple[list[int], np.ndarray]:
    """Token ids of the joint input, and the unit each token's middle falls in (as the reader pools)."""
    prefix = f"{PREFIX}{question.strip()}{JOINER}"
    encoding = tokenizer.encode(prefix + text)
    ids = encoding.ids if len(encoding.ids) <= max_tokens else [*encoding.ids[: max_tokens - 1], encoding.ids[-1]]
    unit_of = np.full(len(ids), -1)
    starts = np.asarray([s for s, _ in units])
    ends = np.asarray([e for _, e in units])
    for t, (s, e) in enumerate(encoding.offsets[: len(ids) - 1]):
        if e > s:
            mid = (s + e) / 2 - len(prefix)
            inside = np.flatnonzero((starts <= mid) & (mid < ends))
            if len(inside):
                unit_of[t] = inside[0]
    return ids, unit_of


class Examples:
    def __init__(self, tokenizer: Any, max_tokens: int) -> None:
        self.tokenizer, self.max_tokens = tokenizer, max_tokens
        self.items: list[Example] = []
        self.counts: dict[str, int] = {}

    def add(self, kind: str, question: str, text: str, answer_start: int | None) -> None:
        """Add one example; an answer whose unit the length limit cut off drops it."""
        units = evidence_units(text, [(s.start, s.end) for s in split_sentences(text)])
        if not units:
            return
        ids, unit_of = encode(self.tokenizer, question, text, units, self.max_tokens)
        labels = np.zeros(len(units))
        if answer_start is not None:
            labels = np.asarray([float(s <= answer_start < e) for s, e in units])
            if not labels[unit_of[unit_of >= 0]].any():
                return
        self.items.append((ids, unit_of, labels))
        self.counts[kind] = self.counts.get(kind, 0) + 1


def collect(tokenizer: Any, max_tokens: int, squad_mt: bool) -> Examples:
    samples = tydi_rows("train") + idk_rows("train")
    if squad_mt:  # a reader meant to read how and why questions too: train_answer.py fits on these
        samples += how_why_rows("tydi") + how_why_rows("idk")
    held_out = {r["question"] for r in samples}
    ex = Examples(tokenizer, max_tokens)
    tydi = json.loads((DATA / "tydiqa_id" / "train.json").read_text(encoding="utf-8"))
    asked = []
    for item in tydi:
        for qa in item["qas"]:
            if qa["question"] not in held_out:
                ex.add("tydi", qa["question"], item["context"], qa["answers"][0]["answer_start"])
                asked.append((qa["question"], item["context"], [a["text"].lower() for a in qa["answers"]]))
    for item in json.loads((DATA / "idk_mrc" / "train.json").read_text(encoding="utf-8")):
        for qa in item["qas"]:
            if qa["question"] not in held_out:
                start = None if qa["is_impossible"] else qa["answers"][0]["answer_start"]
                ex.add("idk_unanswerable" if start is None else "idk", qa["question"], item["context"], start)
    if squad_mt:
        add_squad_mt(ex)
    index = open_index("tydi", tydi_data()[0], CachedEmbedder(load_embedder(), CACHE / "vectors.sqlite"))
    for question, gold, answers in asked:
        for hit in index.search(question, top_k=3, highlight=False).hits:
            if hit.text.strip() != gold.strip() and not any(a in hit.text.lower() for a in answers):
                ex.add("tydi_other_paragraph", question, hit.text, None)
                break
    return ex


def add_squad_mt(ex: Examples) -> None:
    """Machine-translated SQuAD 2.0 dev: how and why questions (TyDi and IDK-MRC hardly have any), and
    unanswerable questions written to look answerable."""
    for item in json.loads((DATA / "trans_squad_id" / "valid.json").read_text(encoding="utf-8")):
        for qa in item["qas"]:
            start = None if qa["is_impossible"] else qa["answers"][0]["answer_start"]
            ex.add("squad_mt_unanswerable" if start is None else "squad_mt", qa["question"], item["context"], start)


def batches(items: list[Example], size: int) -> list[list[int]]:
    """Groups of examples of similar length (less padding)."""
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]))
    return [order[i : i + size] for i in range(0, len(order), size)]


def frozen_states(bert: Any, items: list[Example], layers: int) -> list[Any]:
    """Each example's token states after the first ``layers`` layers, which training leaves as they are."""
    import torch

    out: list[Any] = [None] * len(items)
    with torch.no_grad():
        for group in batches(items, 32):
            length = max(len(items[i][0]) for i in group)
            ids = torch.ones(len(group), length, dtype=torch.long)
            mask = torch.zeros(len(group), length, dtype=torch.long)
            for r, i in enumerate(group):
                ids[r, : len(items[i][0])] = torch.tensor(items[i][0])
                mask[r, : len(items[i][0])] = 1
            states = bert(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states[layers]
            for r, i in enumerate(group):
                out[i] = states[r, : len(items[i][0])].half()
    return out


def add_low_rank(bert: Any, first: int, rank: int, scale: float) -> list[Any]:
    """Freeze the model; give the tuned weights of layers ``first``… low-rank updates; return those layers."""
    import torch

    class LowRank(torch.nn.Module):
        def __init__(self, base: torch.nn.Linear) -> None:
            super().__init__()
            self.base = base
            self.a = torch.nn.Parameter(torch.randn(rank, base.in_features) * 0.01)
            self.b = torch.nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.base(x) + (x @ self.a.T) @ self.b.T * scale

    for p in bert.parameters():
        p.requires_grad_(False)
    top = list(bert.encoder.layer[first:])
    for layer in top:
        for path, name in TUNED:
            parent = layer.get_submodule(path)
            setattr(parent, name, LowRank(getattr(parent, name)))
    return top


def example_loss(torch: Any, head: Any, null: Any, states: Any, example: Example) -> tuple[Any, bool]:
    """Cross-entropy of one example's softmax over "no answer" and its units; whether its best guess is right."""
    _, unit_of, labels = example
    units = torch.as_tensor(unit_of)
    keep = units >= 0
    sums = torch.zeros(len(labels), HIDDEN).index_add_(0, units[keep], states[: len(unit_of)][keep])
    counts = torch.zeros(len(labels)).index_add_(0, units[keep], torch.ones(int(keep.sum())))
    seen = counts > 0
    logits = head(sums / counts.clamp(min=1)[:, None]).squeeze(-1).masked_fill(~seen, -1e4)
    logits = torch.cat([null(states[0]), logits])
    target = np.concatenate([[0.0 if labels.any() else 1.0], labels * seen.numpy()])
    target_t = torch.as_tensor(target / target.sum(), dtype=torch.float32)
    return -(target_t * torch.log_softmax(logits, 0)).sum(), bool(target[int(logits.argmax())] > 0)


def train(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from tokenizers import Tokenizer
    from transformers import BertModel

    torch.set_num_threads(2)
    torch.manual_seed(0)
    source = provision_default_model(Settings.from_env().models_dir)
    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    bert = BertModel.from_pretrained(str(source)).eval()
    ex = collect(tokenizer, args.max_tokens, args.squad_mt)
    items = ex.items
    random.Random(0).shuffle(items)
    print(f"examples {ex.counts}, {sum(len(i[0]) for i in items)} tokens", flush=True)
    t = time.perf_counter()
    frozen = frozen_states(bert, items, args.frozen)
    print(f"states of the first {args.frozen} layers: {time.perf_counter() - t:.0f} s", flush=True)

    scale = 16.0 / args.rank
    top = add_low_rank(bert, args.frozen, args.rank, scale)
    head, null = torch.nn.Linear(HIDDEN, 1), torch.nn.Linear(HIDDEN, 1)
    params = [p for p in bert.parameters() if p.requires_grad] + [*head.parameters(), *null.parameters()]
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    groups = batches(items, 16)
    steps = args.epochs * len(groups)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / 30) * max(0.0, 1 - s / steps))
    history = []
    for epoch in range(args.epochs):
        random.Random(epoch).shuffle(groups)
        t, total, right = time.perf_counter(), 0.0, 0
        for group in groups:
            length = max(len(items[i][0]) for i in group)
            states = torch.zeros(len(group), length, HIDDEN)
            mask = torch.zeros(len(group), length, dtype=torch.long)
            for r, i in enumerate(group):
                states[r, : len(items[i][0])] = frozen[i].float()
                mask[r, : len(items[i][0])] = 1
            additive = (1.0 - mask[:, None, None, :].float()) * -1e9
            for layer in top:
                out = layer(states, attention_mask=additive)
                states = out[0] if isinstance(out, tuple) else out
            loss = torch.zeros(())
            for r, i in enumerate(group):
                one, hit = example_loss(torch, head, null, states[r], items[i])
                loss, right = loss + one, right + hit
            (loss / len(group)).backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += float(loss.detach())
        history.append({"epoch": epoch + 1, "loss": total / len(items), "train_accuracy": right / len(items),
                        "seconds": round(time.perf_counter() - t)})  # fmt: skip
        print(history[-1], flush=True)
    return {"arrays": arrays_of(top, args.frozen, head, null), "meta": record_of(args, scale, ex.counts, history)}


def arrays_of(top: list[Any], first: int, head: Any, null: Any) -> dict[str, np.ndarray]:
    """The tuning as plain arrays: float16 updates ``<weight>.a`` / ``.b``, float32 scoring vectors."""
    arrays: dict[str, np.ndarray] = {}
    for n, layer in enumerate(top, start=first):
        for path, name in TUNED:
            module = layer.get_submodule(path).get_submodule(name)
            arrays[f"encoder.layer.{n}.{path}.{name}.a"] = module.a.detach().numpy().astype(np.float16)
            arrays[f"encoder.layer.{n}.{path}.{name}.b"] = module.b.detach().numpy().astype(np.float16)
    arrays["head.w"] = head.weight.detach().numpy().ravel().astype(np.float32)
    arrays["head.b"] = head.bias.detach().numpy().astype(np.float32)
    arrays["null.w"] = null.weight.detach().numpy().ravel().astype(np.float32)
    arrays["null.b"] = null.bias.detach().numpy().astype(np.float32)
    return arrays


def record_of(args: argparse.Namespace, scale: float, counts: dict[str, int], history: list[Any]) -> dict[str, Any]:
    return {
        "query_prefix": PREFIX, "joiner": JOINER, "max_tokens": 512, "frozen_layers": args.frozen,
        "rank": args.rank, "scale": scale, "tuned": [f"{p}.{n}" for p, n in TUNED],
        "training": {"examples": counts, "max_tokens": args.max_tokens, "epochs": args.epochs, "lr": args.lr,
                     "batch": 16, "history": history},
        "source": {
            "command": "python benchmarks/train_reader.py --write" + (" --squad-mt" if args.squad_mt else ""),
            "data": "../shared/data: TyDi QA-id train and IDK-MRC train"
            + (", trans_squad_id" if args.squad_mt else "")
            + ", without the questions of train_answer.py's samples (TyDi seed 0, IDK-MRC seed 1"
            + (", their other how/why questions" if args.squad_mt else "")
            + "); other paragraphs from hybrid search over TyDi QA-id",
            "commit": head_commit(short=True),
            "machine": machine(),
        },
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"store the reader in {OUT.relative_to(ROOT)}")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--frozen", type=int, default=8, help="layers left as they are")
    parser.add_argument("--max-tokens", type=int, default=256, help="training examples are cut to this many tokens")
    parser.add_argument("--squad-mt", action="store_true", help="add machine-translated SQuAD 2.0 (not shipped)")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for reader.npz and reader.json")
    args = parser.parse_args()
    result = train(args)
    if args.write:
        args.out.mkdir(parents=True, exist_ok=True)
        np.savez(args.out / WEIGHTS_FILE, **result["arrays"])
        (args.out / RECORD_FILE).write_text(json.dumps(result["meta"], indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out / WEIGHTS_FILE} and {RECORD_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
