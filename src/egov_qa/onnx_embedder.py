"""The embedder on ONNX Runtime: the int8 default model, with no torch or sentence-transformers import."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from egov_qa.config import BACKEND_ONNX
from egov_qa.errors import ModelError
from egov_qa.evidence_vectors import UnitVectors, pool_spans
from egov_qa.onnx_model import ONNX_FILE, TOKENIZER_FILE, read_info

_PROGRESS_EVERY = 16
# tokenizers by the digest of their file: the engine and the answer reader read the same one
_TOKENIZERS: dict[str, Any] = {}
_TOKENIZERS_LOCK = threading.Lock()


class OnnxEmbedder:
    """multilingual-e5-small, int8, on onnxruntime: mean pooling and L2 normalisation done here."""

    backend = BACKEND_ONNX

    def __init__(self, folder: Path, *, info: dict[str, Any] | None = None, threads: int | None = None) -> None:
        """Load the model in ``folder`` (see :func:`~egov_qa.onnx_model.provision_onnx_model`).

        ``threads`` caps the threads one run uses (default: onnxruntime's, every core).
        """
        info = info or read_info(folder)
        self.name = str(info["model"])
        self.dimension = int(info["dimension"])
        self.max_tokens = int(info["max_tokens"])
        self.query_prompt = str(info["prompts"]["query"])
        self.passage_prompt = str(info["prompts"]["passage"])
        self._fingerprint = str(info["fingerprint"])
        # threads: e.g. one per Ray worker, so that workers sharing a machine do not oversubscribe it
        self._session, self._tokenizer = open_onnx(folder, "The ONNX engine", "The ONNX model", threads=threads)

    def fingerprint(self) -> str:
        """Digest of the ONNX file, taken when it was built."""
        return self._fingerprint

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Count tokens with the model's tokenizer (no prompt, no special tokens)."""
        if not texts:
            return []
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the query prompt."""
        return self._encode(texts, self.query_prompt, None)

    def embed_passages(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed passages with the passage prompt, in batches that report progress."""
        return self._encode(texts, self.passage_prompt, progress)

    def embed_passages_pooled(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, list[UnitVectors]]:
        """Embed passages, and pool each one's token states over its ``spans`` (character offsets in it).

        The spans' vectors cost no model run beyond the passage's own: a span's vector is the
        mean of the states of the tokens whose middle falls inside it, with that token count.
        """
        pooled: list[UnitVectors] = []
        vectors = self._encode(texts, self.passage_prompt, progress, spans=spans, pooled=pooled)
        return vectors, pooled

    def _encode(
        self,
        texts: Sequence[str],
        prompt: str,
        progress: Callable[[int], None] | None,
        *,
        spans: Sequence[Sequence[tuple[int, int]]] | None = None,
        pooled: list[UnitVectors] | None = None,
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        done = 0
        for i, encoding in enumerate(self._tokenizer.encode_batch([prompt + t for t in texts])):
            ids = keep_end(encoding.ids, self.max_tokens)
            states = self._states(ids)
            out[i] = _normalised(states.mean(axis=0))
            if spans is not None and pooled is not None:
                # the kept </s> of a truncated text has no place among the offsets: it is left out
                offsets = np.asarray(encoding.offsets[: len(ids) - 1], dtype=np.float64) - len(prompt)
                pooled.append(pool_spans(states[: len(offsets)], offsets, spans[i]))
            if progress is not None and (i + 1 - done >= _PROGRESS_EVERY or i + 1 == len(texts)):
                progress(i + 1 - done)
                done = i + 1
        return out

    def _states(self, ids: list[int]) -> np.ndarray:
        return token_states(self._session, ids)


def open_onnx(folder: Path, engine: str, model: str, *, threads: int | None = None) -> tuple[Any, Any]:
    """Return the onnxruntime session and the tokenizer of the int8 model in ``folder``.

    ``engine`` and ``model`` name it in the errors ("The ONNX engine needs onnxruntime…", "The
    ONNX model in … cannot be loaded…"); ``threads`` caps the threads one run uses.
    """
    try:
        import onnxruntime as ort
        import tokenizers  # noqa: F401  (shared_tokenizer's)
    except ImportError as exc:
        raise ModelError(f"{engine} needs onnxruntime: pip install egov-qa (it is a dependency)") from exc
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    try:
        session = ort.InferenceSession(str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"])
        tokenizer = shared_tokenizer(folder / TOKENIZER_FILE)
    except Exception as exc:  # onnxruntime and tokenizers raise their own types for a missing or bad file
        raise ModelError(
            f"{model} in {folder} cannot be loaded ({type(exc).__name__}: {exc}). "
            f"Delete that folder: egov-qa builds it again on the next run"
        ) from exc
    return session, tokenizer


def shared_tokenizer(path: Path) -> Any:
    """Return the tokenizer in ``path``, parsed once per process for each distinct file content.

    The model's tokenizer.json (17 MB) takes about a second to parse, and the ONNX engine and the
    answer reader each have a copy of it: the second one costs only reading and hashing it.
    Tokenizers are not changed after loading (cuts are made on the ids), so one can be shared.
    """
    from tokenizers import Tokenizer

    data = path.read_bytes()
    key = hashlib.sha256(data).hexdigest()
    with _TOKENIZERS_LOCK:
        if key not in _TOKENIZERS:
            _TOKENIZERS[key] = Tokenizer.from_str(data.decode("utf-8"))
        return _TOKENIZERS[key]


def keep_end(ids: list[int], limit: int) -> list[int]:
    """Cut token ids to ``limit``, keeping the last one (</s>).

    The tokenizer's own truncation would also cap count_tokens; this keeps <s> … </s>.
    """
    return ids if len(ids) <= limit else [*ids[: limit - 1], ids[-1]]


def token_states(session: Any, ids: list[int]) -> np.ndarray:
    """Run one text's token ids through the model; return its last layer's token states (tokens × dim).

    One text per run: int8 activations are scaled per run, so a batch would make a text's states
    depend on its neighbours and padding; alone it is also faster on 2 cores.
    """
    input_ids = np.asarray([ids], dtype=np.int64)
    hidden = session.run(None, {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)})[0]
    return np.asarray(hidden[0], dtype=np.float32)


def _normalised(vector: np.ndarray) -> np.ndarray:
    return np.asarray(vector / max(float(np.linalg.norm(vector)), 1e-12), dtype=np.float32)
