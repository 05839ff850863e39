"""Evidence-unit vectors pooled from a passage's token states at ingest, stored with the chunk (float16)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# how evidence units are cut (egov_qa.evidence.chunk_units); stored unit vectors of another version
# no longer line up with the units cut at query time, and are not used
UNITS_VERSION = 1


@dataclass(frozen=True, slots=True)
class UnitVectors:
    """The mean token state of each evidence unit of a chunk, and how many tokens each mean is of.

    Means are kept unnormalised so that a run of neighbouring units pools exactly as its tokens
    would: the token-weighted mean of their means.
    """

    means: np.ndarray
    tokens: np.ndarray

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    def to_bytes(self) -> bytes:
        """Pack as the chunk store keeps it: float16 means, then uint16 token counts."""
        return (
            np.ascontiguousarray(self.means, dtype="<f2").tobytes()
            + np.ascontiguousarray(self.tokens, dtype="<u2").tobytes()
        )

    @classmethod
    def from_bytes(cls, blob: bytes, dimension: int) -> UnitVectors:
        """Unpack :meth:`to_bytes`; raises ValueError when the size does not fit ``dimension``."""
        per_unit = 2 * dimension + 2
        if len(blob) % per_unit:
            raise ValueError(f"{len(blob)} bytes are not whole units of dimension {dimension}")
        n = len(blob) // per_unit
        means = np.frombuffer(blob, dtype="<f2", count=n * dimension).reshape(n, dimension)
        tokens = np.frombuffer(blob, dtype="<u2", offset=2 * n * dimension, count=n)
        return cls(means, tokens)

    def cosines(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return each unit's cosine with ``query`` (unit length), and that of the unit with its neighbours.

        A unit no token fell into (past the model's limit) has cosine 0.
        """
        means = self.means.astype(np.float32)
        weights = self.tokens.astype(np.float32)[:, None]
        sums = means * weights
        # neighbours i-1, i, i+1: a moving sum of the token-weighted means and of the counts
        pad = np.zeros((1, means.shape[1]), dtype=np.float32)
        window = np.concatenate([pad, sums[:-1]]) + sums + np.concatenate([sums[1:], pad])
        return _cosines(means, query), _cosines(window, query)


def pool_spans(states: np.ndarray, offsets: np.ndarray, spans: Sequence[tuple[int, int]]) -> UnitVectors:
    """Pool token ``states`` (tokens × dim) over character ``spans``: a token counts where its middle falls.

    ``offsets`` are each token's (start, end) in the same characters as the spans; tokens of no
    width (the special ones) belong to no span.
    """
    mids = offsets.mean(axis=1) if len(offsets) else np.zeros(0)
    real = offsets[:, 1] > offsets[:, 0] if len(offsets) else np.zeros(0, dtype=bool)
    means = np.zeros((len(spans), states.shape[1]), dtype=np.float32)
    tokens = np.zeros(len(spans), dtype=np.uint16)
    for i, (start, end) in enumerate(spans):
        inside = real & (mids >= start) & (mids < end)
        count = int(inside.sum())
        if count:
            means[i] = states[inside].mean(axis=0)
            tokens[i] = min(count, np.iinfo(np.uint16).max)
    return UnitVectors(means.astype(np.float16), tokens)


def _cosines(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1)
    dots = vectors @ query.astype(np.float32)
    return np.where(norms > 0, dots / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
