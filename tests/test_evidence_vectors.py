"""Evidence-unit vectors pooled from token states at ingest: pooling, storage, and the fallback for older indexes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from egov_qa import Document, Settings, build_index, load_index
from egov_qa.evidence_vectors import UnitVectors, pool_spans
from egov_qa.manifest import Manifest


def test_tokens_are_pooled_by_where_their_middle_falls_and_special_ones_never() -> None:
    rng = np.random.default_rng(0)
    states = rng.normal(size=(6, 4)).astype(np.float32)
    # "<s>" (no width), "Ab" 0-2, " cd" 2-5, "." 5-6, "Ef" 7-9, "</s>" (no width)
    offsets = np.array([[0, 0], [0, 2], [2, 5], [5, 6], [7, 9], [0, 0]], dtype=float)
    pooled = pool_spans(states, offsets, [(0, 6), (7, 9), (20, 30)])
    assert pooled.tokens.tolist() == [3, 1, 0]
    assert np.allclose(pooled.means[0], states[1:4].mean(axis=0), atol=1e-3)
    assert np.allclose(pooled.means[1], states[4], atol=1e-3)
    assert not pooled.means[2].any()


def test_a_unit_with_its_neighbours_pools_as_their_tokens_together() -> None:
    rng = np.random.default_rng(1)
    states = rng.normal(size=(10, 8)).astype(np.float32)
    offsets = np.array([[i, i + 1] for i in range(10)], dtype=float)
    spans = [(0, 2), (2, 7), (7, 10)]
    pooled = pool_spans(states, offsets, spans)
    query = rng.normal(size=8).astype(np.float32)
    query /= np.linalg.norm(query)
    sent, ctx = pooled.cosines(query)

    def cos(v: np.ndarray) -> float:
        return float(v @ query / np.linalg.norm(v))

    assert sent[1] == pytest.approx(cos(states[2:7].mean(axis=0)), abs=2e-3)
    assert ctx[0] == pytest.approx(cos(states[0:7].mean(axis=0)), abs=2e-3)
    assert ctx[1] == pytest.approx(cos(states.mean(axis=0)), abs=2e-3)
    assert ctx[2] == pytest.approx(cos(states[2:10].mean(axis=0)), abs=2e-3)


def test_unit_vectors_round_trip_through_bytes_and_a_bad_size_is_refused() -> None:
    pooled = UnitVectors(np.arange(12, dtype=np.float16).reshape(3, 4), np.array([1, 2, 3], dtype=np.uint16))
    back = UnitVectors.from_bytes(pooled.to_bytes(), 4)
    assert np.array_equal(back.means, pooled.means) and back.tokens.tolist() == [1, 2, 3] and len(back) == 3
    with pytest.raises(ValueError, match="not whole units"):
        UnitVectors.from_bytes(pooled.to_bytes()[:-1], 4)


def test_an_index_from_before_unit_vectors_still_answers_and_gains_them_on_its_next_ingest(
    tmp_path: Path, fake_settings: Settings
) -> None:
    docs = [
        Document("ektp", "KTP elektronik diterbitkan oleh Disdukcapil. Warga merekam data di kantor kecamatan."),
        Document("oss", "NIB diterbitkan melalui OSS. Pelaku usaha mendaftar secara daring."),
    ]
    build_index(docs, tmp_path / "ix", settings=fake_settings)
    store = tmp_path / "ix" / Manifest.read(tmp_path / "ix").store_file
    with sqlite3.connect(store) as db:  # as an index written before the units column existed
        db.execute("ALTER TABLE chunks DROP COLUMN units")
    index = load_index(tmp_path / "ix", settings=fake_settings)
    answer = index.ask("Siapa yang menerbitkan KTP elektronik?")
    assert answer.evidence and "Disdukcapil" in answer.evidence[0].text
    index.close()
    build_index([*docs, Document("lapor", "Pengaduan disampaikan lewat SP4N-LAPOR!.")], tmp_path / "ix",
                settings=fake_settings)  # fmt: skip
    store = tmp_path / "ix" / Manifest.read(tmp_path / "ix").store_file
    with sqlite3.connect(store) as db:
        kept = dict(db.execute("SELECT doc_id, units IS NOT NULL FROM chunks").fetchall())
    assert kept == {"ektp": 0, "oss": 0, "lapor": 1}  # unchanged documents are not embedded again
    index = load_index(tmp_path / "ix", settings=fake_settings)
    hits = index.search("pengaduan LAPOR", top_k=3)
    units, sent, ctx = index.unit_cosines(hits.hits, index.embedder.embed_queries(["pengaduan"])[0], "id")
    assert len(units) == 3 and all(len(s) == len(c) == len(u) > 0 for u, s, c in zip(units, sent, ctx, strict=True))


def test_unit_vectors_of_another_cut_are_not_used_and_are_dropped_at_the_next_ingest(
    tmp_path: Path, fake_settings: Settings
) -> None:
    import json

    from egov_qa.evidence_vectors import UNITS_VERSION

    docs = [Document("ektp", "KTP elektronik diterbitkan oleh Disdukcapil. Warga merekam data di kantor kecamatan.")]
    build_index(docs, tmp_path / "ix", settings=fake_settings)
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    assert manifest["units_version"] == UNITS_VERSION
    manifest["units_version"] = UNITS_VERSION - 1  # as if written by an egov-qa that cut units another way
    (tmp_path / "ix" / "manifest.json").write_text(json.dumps(manifest))
    index = load_index(tmp_path / "ix", settings=fake_settings)
    hits = index.search("Disdukcapil", top_k=1).hits
    assert index._reader.unit_vectors_of([hits[0].chunk_id]) == {}
    assert index.ask("Siapa yang menerbitkan KTP elektronik?").evidence  # the units are embedded instead
    index.close()
    build_index([*docs, Document("oss", "NIB diterbitkan melalui OSS.")], tmp_path / "ix", settings=fake_settings)
    with sqlite3.connect(tmp_path / "ix" / Manifest.read(tmp_path / "ix").store_file) as db:
        kept = dict(db.execute("SELECT doc_id, units IS NOT NULL FROM chunks").fetchall())
    assert kept == {"ektp": 0, "oss": 1}
