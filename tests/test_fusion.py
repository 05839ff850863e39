"""The learned fusion of hybrid search: its features, its shipped weights, and that search ranks by them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from egov_qa import Document, Settings, build_index, load_index
from egov_qa.evidence_vectors import UnitVectors
from egov_qa.fusion import FUSION_FEATURES, FusionModel, Signals, fusion_rows, load_fusion_model

DOCS = [
    Document("spbe", "SPBE dievaluasi oleh Kementerian PANRB. Evaluasi SPBE dilakukan setiap tahun.", title="SPBE"),
    Document("oss", "OSS menerbitkan Nomor Induk Berusaha. NIB berfungsi sebagai identitas pelaku usaha.", title="OSS"),
    Document("ktp", "e-KTP diterbitkan oleh Disdukcapil. Perekaman e-KTP memerlukan NIK.", title="e-KTP"),
    Document("lapor", "Pengaduan pelayanan publik disampaikan melalui SP4N-LAPOR.", title="Pengaduan"),
]


def test_feature_rows_follow_both_sides_and_the_units() -> None:
    q = np.zeros(4, dtype=np.float32)
    q[0] = 1.0
    units = {
        # two units: the second points at the question, weighted by its 3 tokens against 1
        7: UnitVectors(np.asarray([[0, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float16), np.asarray([1, 3], dtype=np.uint16)),
        8: UnitVectors(np.asarray([[0.6, 0.8, 0, 0]], dtype=np.float16), np.asarray([4], dtype=np.uint16)),
        9: UnitVectors(np.asarray([[0, 0, 1, 0]], dtype=np.float16), np.asarray([2], dtype=np.uint16)),
    }
    signals = Signals(
        ids=[7, 8, 9],
        dense=np.asarray([0.5, 0.7, 0.2]),
        lexical=np.asarray([4.0, 0.0, 8.0]),
        dense_top=[8, 7],
        lexical_top=[9, 7],
        units=units,
    )
    rows = {name: fusion_rows(signals, q)[:, i] for i, name in enumerate(FUSION_FEATURES)}
    assert np.allclose(rows["dense_gap"], [-0.2, 0.0, -0.5])
    assert np.allclose(rows["dense_reciprocal_rank"], [0.5, 1.0, 0.0])
    assert np.allclose(rows["lexical"], [0.5, 0.0, 1.0])
    assert np.allclose(rows["lexical_reciprocal_rank"], [0.5, 0.0, 1.0])
    assert rows["lexical_best"].tolist() == [0.0, 0.0, 1.0] and rows["in_both"].tolist() == [1.0, 0.0, 0.0]
    # chunk 7's best unit is the second (cosine 1); with its neighbour, (0,1)*1 + (1,0)*3 pooled: 3/sqrt(10)
    assert np.allclose(rows["unit"], [1.0, 0.6, 0.0], atol=1e-3)
    assert np.allclose(rows["unit_context"], [3 / np.sqrt(10), 0.6, 0.0], atol=1e-3)
    assert np.allclose(rows["unit_gap"], [0.0, -0.4, -1.0], atol=1e-3)


def test_neighbours_pool_within_a_chunk_only_and_a_partial_index_uses_cosines() -> None:
    q = np.asarray([1.0, 0.0], dtype=np.float32)
    half = np.asarray([[0.6, 0.8]], dtype=np.float16)
    units = {
        1: UnitVectors(np.asarray([[0, 1], [0, 1]], dtype=np.float16), np.asarray([1, 1], dtype=np.uint16)),
        2: UnitVectors(np.asarray([[1, 0], [0, 1]], dtype=np.float16), np.asarray([5, 1], dtype=np.uint16)),
        3: UnitVectors(half, np.asarray([2], dtype=np.uint16)),
    }
    signals = Signals(ids=[1, 2, 3], dense=np.asarray([0.1, 0.2, 0.3]), lexical=np.zeros(3), dense_top=[3, 2, 1],
                      lexical_top=[], units=units)  # fmt: skip
    rows = fusion_rows(signals, q)
    unit, context = FUSION_FEATURES.index("unit"), FUSION_FEATURES.index("unit_context")
    # chunk 1's units point away from the question; chunk 2's first unit, its neighbour, must not reach them
    assert np.allclose(rows[:, unit], [0.0, 1.0, 0.6], atol=1e-3)
    assert np.allclose(rows[:, context], [0.0, 5 / np.sqrt(26), 0.6], atol=1e-3)
    partial = Signals(ids=[1, 2, 4], dense=np.asarray([0.1, 0.2, 0.4]), lexical=np.zeros(3), dense_top=[4, 2, 1],
                      lexical_top=[], units=units)  # fmt: skip
    assert np.allclose(fusion_rows(partial, q)[:, unit], [0.1, 0.2, 0.4]), "chunk 4 has none: cosines for all"


def test_the_shipped_weights_are_plain_data_with_their_source() -> None:
    model = load_fusion_model()
    assert set(model.scorers) == {"id", "en"}
    assert model.source["command"].startswith("python benchmarks/train_fusion.py") and len(model.source["commit"]) == 40
    assert model.scores(np.zeros((2, len(FUSION_FEATURES))), "ms") is None, "another language ranks by cosine"
    with pytest.raises(ValueError, match="features"):
        FusionModel.from_dict({"scorers": {"id": {"features": ["dense"], "weights": [1.0], "bias": 0.0}}})


def test_hybrid_search_ranks_by_the_model_over_the_candidates_it_shows(tmp_path: Path, fake_settings: Settings) -> None:
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    index = load_index(tmp_path / "ix", settings=fake_settings)
    model = load_fusion_model()
    for question in ("Siapa yang mengevaluasi SPBE?", "Apa fungsi NIB?", "Who issues the e-KTP?"):
        found = index.fusion_candidates(question)
        scores = model.scores(found.rows, found.language)
        assert scores is not None and found.rows.shape == (len(found.chunk_ids), len(FUSION_FEATURES))
        expected = [
            found.chunk_ids[i] for i in sorted(range(len(scores)), key=lambda i: (-scores[i], found.chunk_ids[i]))
        ]
        hits = index.search(question, top_k=4, highlight=False)
        assert [h.chunk_id for h in hits] == expected[:4], question
        assert [h.score for h in hits] == pytest.approx(sorted(scores, reverse=True)[:4])


def test_the_first_results_do_not_depend_on_how_many_are_asked_for(tmp_path: Path, fake_settings: Settings) -> None:
    docs = [
        Document(f"d{i}", f"Layanan {w} nomor {i} untuk warga. Pengaduan {w} diproses oleh dinas {i}.")
        for i, w in enumerate(["publik", "perizinan", "kependudukan", "pengaduan", "data"] * 16)
    ]
    build_index(docs, tmp_path / "ix", settings=fake_settings)
    index = load_index(tmp_path / "ix", settings=fake_settings)
    for question in ("pengaduan layanan publik", "Who handles population data complaints?"):
        few = [h.chunk_id for h in index.search(question, top_k=10, highlight=False)]
        many = [h.chunk_id for h in index.search(question, top_k=100, highlight=False)]
        assert len(many) == 80 and many[:10] == few, question
