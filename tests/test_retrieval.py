"""Lexical and hybrid retrieval, metadata filters, and the lexical index's life cycle (fake embedder)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from egov_qa import Document, Settings, build_index, load_index
from egov_qa.errors import QueryError
from egov_qa.filters import Facets, Filters, document_facets
from egov_qa.manifest import MANIFEST_NAME
from egov_qa.search import DEFAULT_FUSION, FusionWeights, lexical_query, lexical_weight

DOCS = [
    Document(
        "uu-pelayanan",
        "Undang-Undang Nomor 25 Tahun 2009 mengatur pelayanan publik. Penyelenggara wajib menyusun standar pelayanan.",
        title="UU 25 Tahun 2009 tentang Pelayanan Publik",
        metadata={"type": "UU", "year": 2009, "source": "jdih.example.go.id", "category": "Pelayanan"},
    ),
    Document(
        "pengaduan",
        "Masyarakat dapat menyampaikan pengaduan melalui SP4N-LAPOR sesuai UU 25/2009 dan UU No. 25 Tahun 2009. "
        "Pengaduan ditindaklanjuti oleh instansi.",
        title="Kanal Pengaduan",
        metadata={"type": "artikel", "date": "2023-05-01", "source": "Berita Daerah", "category": "Pengaduan"},
    ),
    Document(
        "oss",
        "Pelaku usaha mengurus perizinan berusaha secara daring melalui OSS dan memperoleh NIB.",
        title="Perizinan OSS",
        metadata={"type": "artikel", "date": "2021-08-17", "source": "Berita Daerah", "category": "Perizinan"},
    ),
    Document(
        "adminduk",
        "Penduduk yang terdaftar memiliki NIK dan e-KTP. Disdukcapil mencatat kelahiran dan kematian.",
        title="Administrasi Kependudukan",
        metadata={"date": "2024-01-02", "category": "Adminduk"},
    ),
]


@pytest.fixture
def index_dir(tmp_path: Path, fake_settings: Settings) -> Path:
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    return tmp_path / "ix"


def test_lexical_mode_matches_a_reference_however_it_is_written(index_dir: Path, fake_settings: Settings) -> None:
    index = load_index(index_dir, settings=fake_settings)
    for query in ("UU 25/2009", "uu no. 25 tahun 2009", "Law No. 25 of 2009"):
        hits = index.search(query, mode="lexical", top_k=3)
        assert hits.mode == "lexical" and {h.doc_id for h in hits} == {"uu-pelayanan", "pengaduan"}, query
        assert all(h.lexical_score is not None and h.lexical_score > 0 and h.dense_score is None for h in hits)


def test_lexical_mode_matches_inflected_forms(index_dir: Path, fake_settings: Settings) -> None:
    index = load_index(index_dir, settings=fake_settings)
    assert index.search("diadukan", mode="lexical")[0].doc_id == "pengaduan"  # pengaduan ~ diadukan
    assert index.search("pencatatan kelahiran", mode="lexical")[0].doc_id == "adminduk"
    assert len(index.search("sepak bola", mode="lexical")) == 0  # nothing shares a term


def test_hybrid_puts_the_regulation_named_first_and_keeps_both_scores(index_dir: Path, fake_settings: Settings) -> None:
    index = load_index(index_dir, settings=fake_settings)
    # the citing article mentions the reference twice: BM25 prefers it, the named regulation still wins
    assert index.search("UU 25/2009", mode="lexical")[0].doc_id == "pengaduan"
    dense = index.search("aturan UU 25/2009", mode="dense", top_k=4)
    hybrid = index.search("aturan UU 25/2009", mode="hybrid", top_k=4)
    assert hybrid[0].doc_id == "uu-pelayanan"
    assert {h.doc_id for h in dense} == {h.doc_id for h in hybrid}
    top = hybrid[0]
    assert top.dense_score is not None and top.lexical_score is not None
    # the fixed vote used before the learned fusion: the reference bonus added to the cosine
    voted = index.search("aturan UU 25/2009", mode="hybrid", top_k=4, fusion=DEFAULT_FUSION)
    assert voted[0].doc_id == "uu-pelayanan" and voted[0].score > (voted[0].dense_score or 0.0)
    # with every lexical weight at zero, hybrid ranks exactly like dense
    off = index.search("aturan UU 25/2009", mode="hybrid", top_k=4, fusion=FusionWeights(0.0, 0.0, 0.0))
    assert [h.chunk_id for h in off] == [h.chunk_id for h in dense]


def test_english_questions_reach_indonesian_text_through_the_glossary(index_dir: Path, fake_settings: Settings) -> None:
    q = lexical_query("How are public complaints handled?", "en")
    assert "adu" in q.terms and q.coverage > 0.5  # pengaduan, stemmed
    index = load_index(index_dir, settings=fake_settings)
    assert index.search("How are public complaints handled?", mode="lexical")[0].doc_id == "pengaduan"
    assert lexical_weight(lexical_query("Who won the match?", "en"), "en", FusionWeights(0.1, 0.1, 0.1)) == 0.0
    assert lexical_weight(q, "fr", FusionWeights(0.1, 0.1, 0.1)) == 0.0
    assert lexical_weight(q, "id", FusionWeights(0.1, 0.0, 0.0)) == 0.1


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_filters_restrict_every_mode(index_dir: Path, fake_settings: Settings, mode: str) -> None:
    index = load_index(index_dir, settings=fake_settings)
    query = "pelayanan pengaduan perizinan penduduk"
    cases = {
        Filters(doc_types=("artikel",)): {"pengaduan", "oss"},
        Filters(doc_types=("uu",)): {"uu-pelayanan"},
        Filters(year_from=2022): {"pengaduan", "adminduk"},
        Filters(year_from=2020, year_to=2022): {"oss"},
        Filters(sources=("berita",)): {"pengaduan", "oss"},
        Filters(categories=("perizinan", "adminduk")): {"oss", "adminduk"},
        Filters(doc_types=("perda",)): set(),
    }
    for filters, allowed in cases.items():
        found = {h.doc_id for h in index.search(query, mode=mode, top_k=10, filters=filters)}  # type: ignore[arg-type]
        # every document shares a word with the query, so BM25 finds each allowed one too
        assert found == allowed, filters


def test_facets_and_filter_errors(index_dir: Path, fake_settings: Settings) -> None:
    index = load_index(index_dir, settings=fake_settings)
    facets = index.facets()
    assert facets.doc_types == ("UU", "artikel") and facets.years == (2009, 2024)
    assert facets.categories == ("Adminduk", "Pelayanan", "Pengaduan", "Perizinan")
    with pytest.raises(QueryError, match="empty"):
        Filters(year_from=2025, year_to=2020)
    with pytest.raises(QueryError, match="Unknown search mode"):
        index.search("izin", mode="fuzzy")  # type: ignore[arg-type]


def test_regulation_type_and_year_come_from_its_opening_not_from_a_citation() -> None:
    head = "PERATURAN PRESIDEN REPUBLIK INDONESIA\nNOMOR 95 TAHUN 2018\nTENTANG\nSISTEM PEMERINTAHAN"
    assert document_facets("", {}, head) == Facets(doc_type="PERPRES", year=2018, reference="perpres_95_2018")
    assert document_facets("UU 25 Tahun 2009", {}, "isi") == Facets(doc_type="UU", year=2009, reference="uu_25_2009")
    article = "SPBE diatur dalam Peraturan Presiden Nomor 95 Tahun 2018 tentang SPBE."
    assert document_facets("SPBE", {"date": "2025-02-10"}, article) == Facets(year=2025)
    for cited in (
        "Warga dapat mengadu melalui SP4N-LAPOR sesuai UU 25/2009 dan PP 96/2012.",
        "SPBE diatur dalam PERPRES 95/2018.",
        "Mengacu UU NO. 25 TAHUN 2009 tentang Pelayanan Publik, warga dapat mengadu.",
        "UU 25/2009 mengatur pelayanan publik.",
    ):
        assert document_facets("Kanal Pengaduan", {}, cited) == Facets(), cited
    short = "SALINAN\n  UU NO 25/2009 TENTANG PELAYANAN PUBLIK\nDengan rahmat Tuhan"
    assert document_facets("", {}, short) == Facets(doc_type="UU", year=2009, reference="uu_25_2009")


def test_updates_and_removals_reach_the_lexical_index(tmp_path: Path, fake_settings: Settings) -> None:
    ix = tmp_path / "ix"
    build_index(DOCS, ix, settings=fake_settings)
    changed = [Document("oss", "Sistem OSS menerbitkan sertifikat standar.", title="OSS")] + DOCS[:2]
    build_index(changed, ix, settings=fake_settings)
    index = load_index(ix, settings=fake_settings)
    assert len(index.search("kelahiran kematian", mode="lexical")) == 0  # adminduk removed
    assert len(index.search("NIB daring", mode="lexical")) == 0  # the old oss text is gone
    assert index.search("penerbitan sertifikat", mode="lexical")[0].doc_id == "oss"


def test_an_index_without_a_lexical_side_falls_back_then_gets_one_without_re_embedding(
    index_dir: Path, fake_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    manifest_path = index_dir / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    del manifest["lexical"]  # as written by egov-qa before the lexical index existed
    manifest_path.write_text(json.dumps(manifest))
    index = load_index(index_dir, settings=fake_settings)
    with caplog.at_level(logging.WARNING, logger="egov_qa"):
        result = index.search("UU 25/2009")
    assert result.mode == "dense" and "no lexical index" in caplog.text
    with pytest.raises(QueryError, match="egov-qa ingest"):
        index.search("UU 25/2009", mode="lexical")
    index.close()
    report = build_index(DOCS, index_dir, settings=fake_settings)
    assert report.chunks_embedded == 0 and len(report.unchanged) == len(DOCS)
    index = load_index(index_dir, settings=fake_settings)
    assert {h.doc_id for h in index.search("UU 25/2009", mode="lexical")} == {"uu-pelayanan", "pengaduan"}
