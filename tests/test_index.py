"""Building, updating, loading and searching an index with the fake embedder."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

import egov_qa
from egov_qa import Document, Embedder, Settings, build_index, load_index
from egov_qa.chunking import SPLITTER_VERSION, ChunkParams
from egov_qa.embedding import FakeEmbedder
from egov_qa.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, QueryError
from egov_qa.manifest import MANIFEST_NAME
from egov_qa.store import IndexReader


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the passages it embeds."""

    name = "counting-fake"

    def __init__(self) -> None:
        self.passages: list[str] = []

    def embed_passages(self, texts: Sequence[str], *, progress=None) -> np.ndarray:  # noqa: ANN001
        self.passages.extend(texts)
        return super().embed_passages(texts, progress=progress)


class UnpooledEmbedder(CountingEmbedder):
    """A counting fake that cannot pool token states, as sentence-transformers or a registered model."""

    name = "unpooled-fake"
    embed_passages_pooled = None


@pytest.fixture
def counting(use_embedder: Callable[[Embedder], None]) -> CountingEmbedder:
    emb = CountingEmbedder()
    use_embedder(emb)
    return emb


@pytest.fixture
def unpooled(use_embedder: Callable[[Embedder], None]) -> UnpooledEmbedder:
    emb = UnpooledEmbedder()
    use_embedder(emb)
    return emb


DOCS = [
    Document(
        "spbe",
        "Sistem Pemerintahan Berbasis Elektronik meningkatkan layanan publik. Indeks SPBE dinilai setiap tahun.",
        title="SPBE",
    ),
    Document(
        "oss",
        "Perizinan berusaha diurus lewat OSS. Nomor Induk Berusaha terbit secara daring.",
        title="OSS",
        metadata={"year": 2021},
    ),
    Document("ektp", "Perekaman e-KTP dilakukan di Disdukcapil. NIK tercantum pada kartu.", title="e-KTP"),
]


def test_build_and_search_match_a_brute_force_oracle(tmp_path: Path, fake_settings: Settings) -> None:
    docs = [
        Document(f"d{i}", f"Dokumen {i} membahas {topic} di daerah {i}. Kalimat kedua soal {topic}.")
        for i, topic in enumerate(["pelayanan publik", "perizinan", "kependudukan", "data terbuka", "pengaduan"] * 4)
    ]
    report = build_index(docs, tmp_path / "ix", settings=fake_settings)
    assert report.added == tuple(sorted(d.doc_id for d in docs)) and report.total_documents == 20
    index = load_index(tmp_path / "ix", settings=fake_settings)
    query = "layanan pengaduan masyarakat di daerah"
    hits = index.search(query, top_k=7, mode="dense")
    emb = FakeEmbedder()
    inputs = [f"{d.text}" for d in docs]
    oracle = emb.embed_passages(inputs) @ emb.embed_queries([query])[0]
    by_id = {d.doc_id: float(oracle[i]) for i, d in enumerate(docs)}
    assert all(abs(by_id[h.doc_id] - h.score) < 1e-5 for h in hits)
    assert np.allclose([h.score for h in hits], np.sort(oracle)[::-1][:7], atol=1e-5)
    assert [h.rank for h in hits] == list(range(1, 8))
    # hybrid keeps each hit's exact cosine beside the fused score, also for chunks found only by BM25
    for hit in index.search(query, top_k=20, mode="hybrid"):
        assert hit.dense_score is not None and abs(by_id[hit.doc_id] - hit.dense_score) < 1e-5


def test_hits_carry_source_offsets_and_highlights(corpus: Path, tmp_path: Path, fake_settings: Settings) -> None:
    build_index(corpus, tmp_path / "ix", settings=fake_settings)
    index = load_index(tmp_path / "ix", settings=fake_settings)
    result = index.search("Nomor Induk Berusaha OSS", top_k=3)
    assert result.language == "id" and len(result) == 3
    top = result[0]
    assert top.doc_id == "oss.html" and top.title == "Perizinan Berusaha Lewat OSS"
    assert top.metadata["date"] == "2024-03-14"
    doc = index.document(top.doc_id)
    assert doc is not None and doc.text[top.start : top.end] == top.text
    assert top.highlights and all(0 <= s < e <= len(top.text) for s, e in top.highlights)
    assert "Nomor Induk Berusaha" in top.text[top.highlights[0][0] : top.highlights[0][1]]
    assert result.hits[0] is result[0] and list(result)[1] is result[1]


def test_english_queries_are_reported_as_english(tmp_path: Path, fake_settings: Settings) -> None:
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    result = load_index(tmp_path / "ix", settings=fake_settings).search("How do I apply for a business licence?")
    assert result.language == "en"


def test_incremental_ingest_embeds_only_what_changed(corpus: Path, tmp_path: Path, counting: CountingEmbedder) -> None:
    first = build_index(corpus, tmp_path / "ix")
    assert len(first.added) >= 4 and first.chunks_embedded == len(counting.passages) > 0
    counting.passages.clear()
    again = build_index(corpus, tmp_path / "ix")
    assert again.added == again.updated == again.removed == () and counting.passages == []
    assert set(again.unchanged) == set(first.added)

    (corpus / "spbe.md").write_text((corpus / "spbe.md").read_text() + "\nKalimat tambahan tentang SPBE nasional.\n")
    (corpus / "oss.html").unlink()
    (corpus / "baru.txt").write_text("Pengaduan Publik\n\nWarga melapor lewat SP4N-LAPOR!.", encoding="utf-8")
    third = build_index(corpus, tmp_path / "ix")
    assert third.added == ("baru.txt",) and third.updated == ("spbe.md",) and third.removed == ("oss.html",)
    embedded = " ".join(counting.passages)
    assert "SPBE nasional" in embedded and "SP4N-LAPOR" in embedded and "Online Single Submission" not in embedded
    assert not any("e-KTP" in p for p in counting.passages), "unchanged documents are not re-embedded"

    reader = IndexReader(tmp_path / "ix")
    ids = reader.document_ids()
    assert "oss.html" not in ids and "baru.txt" in ids
    assert reader.vectors.ntotal == reader.manifest.chunks == third.total_chunks
    reader.close()


def test_full_rebuild_reembeds_everything(corpus: Path, tmp_path: Path, counting: CountingEmbedder) -> None:
    build_index(corpus, tmp_path / "ix")
    n = len(counting.passages)
    counting.passages.clear()
    report = build_index(corpus, tmp_path / "ix", full=True)
    assert len(counting.passages) == n and report.unchanged == ()


def test_a_file_that_turns_corrupt_keeps_its_previous_version(
    corpus: Path, tmp_path: Path, fake_settings: Settings
) -> None:
    build_index(corpus, tmp_path / "ix", settings=fake_settings)
    (corpus / "spbe.md").write_bytes(b"\x00\x01binary garbage")
    report = build_index(corpus, tmp_path / "ix", settings=fake_settings)
    assert "spbe.md" in report.unchanged and "spbe.md" not in report.removed
    assert any(s.source == "spbe.md" and "binary" in s.reason for s in report.skipped)
    assert "spbe.md" in load_index(tmp_path / "ix", settings=fake_settings).document_ids()


@pytest.mark.parametrize("exc", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_crash_mid_ingest_leaves_the_previous_index_readable(
    corpus: Path, tmp_path: Path, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    ix = tmp_path / "ix"
    build_index(corpus, ix, settings=fake_settings)
    before = load_index(ix, settings=fake_settings).search("perizinan OSS", top_k=3)
    files_before = sorted(p.name for p in ix.iterdir())
    (corpus / "baru.txt").write_text("Dokumen baru tentang data terbuka.", encoding="utf-8")

    calls = {"n": 0}
    original = egov_qa.store.IndexWriter.add

    def failing_add(self, doc, chunks, vectors, regulation=None, units=None):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] == 1:
            original(self, doc, chunks, vectors, regulation, units)
            raise exc
        original(self, doc, chunks, vectors, regulation, units)

    monkeypatch.setattr(egov_qa.store.IndexWriter, "add", failing_add)
    with pytest.raises(type(exc)):
        build_index(corpus, ix, settings=fake_settings)
    monkeypatch.undo()
    assert sorted(p.name for p in ix.iterdir()) == files_before
    after = load_index(ix, settings=fake_settings).search("perizinan OSS", top_k=3)
    assert [(h.doc_id, h.chunk_id) for h in after] == [(h.doc_id, h.chunk_id) for h in before]
    report = build_index(corpus, ix, settings=fake_settings)
    assert report.added == ("baru.txt",)


def test_a_crash_between_file_writes_and_manifest_swap_keeps_the_old_generation(
    corpus: Path, tmp_path: Path, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ix = tmp_path / "ix"
    build_index(corpus, ix, settings=fake_settings)
    manifest = json.loads((ix / MANIFEST_NAME).read_text())
    (corpus / "spbe.md").unlink()

    def boom(path: Path, data: dict) -> None:
        raise OSError("power cut")

    monkeypatch.setattr("egov_qa.manifest.write_json_atomic", boom)
    with pytest.raises(OSError, match="power cut"):
        build_index(corpus, ix, settings=fake_settings)
    monkeypatch.undo()
    assert json.loads((ix / MANIFEST_NAME).read_text()) == manifest
    assert "spbe.md" in load_index(ix, settings=fake_settings).document_ids()
    build_index(corpus, ix, settings=fake_settings)
    # the rows written before the power cut are gone; the removal went into the same store, no new vectors
    assert sorted(
        p.name for p in ix.iterdir() if not p.name.startswith(".") and not p.name.endswith(("-wal", "-shm"))
    ) == [
        "manifest.json",
        "seg-1-0.faiss",
        "store-1.sqlite",
    ]
    assert "spbe.md" not in load_index(ix, settings=fake_settings).document_ids()


def test_missing_index_is_a_clear_error(tmp_path: Path, fake_settings: Settings) -> None:
    with pytest.raises(IndexNotFoundError, match=r"No index at .*missing manifest.json.*egov-qa ingest"):
        load_index(tmp_path / "nothing", settings=fake_settings)


def test_corrupt_manifest_vectors_and_store_are_clear_errors(tmp_path: Path, fake_settings: Settings) -> None:
    ix = tmp_path / "ix"
    build_index(DOCS, ix, settings=fake_settings)
    good = (ix / MANIFEST_NAME).read_text()
    (ix / MANIFEST_NAME).write_text(good[: len(good) // 2])
    with pytest.raises(IndexCorruptError, match="--full"):
        load_index(ix, settings=fake_settings)
    (ix / MANIFEST_NAME).write_text(good)
    vec = next(ix.glob("seg-*.faiss"))
    saved = vec.read_bytes()
    vec.write_bytes(saved[:40])
    with pytest.raises(IndexCorruptError, match="unreadable"):
        load_index(ix, settings=fake_settings)
    vec.write_bytes(saved)
    next(ix.glob("store-*.sqlite")).unlink()
    with pytest.raises(IndexCorruptError, match="missing"):
        load_index(ix, settings=fake_settings)


def test_other_format_version_is_a_mismatch_naming_both(tmp_path: Path, fake_settings: Settings) -> None:
    ix = tmp_path / "ix"
    build_index(DOCS, ix, settings=fake_settings)
    manifest = json.loads((ix / MANIFEST_NAME).read_text())
    manifest["format_version"] = 99
    (ix / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match=r"format version 99.*reads versions 1, 2.*--full"):
        load_index(ix, settings=fake_settings)


def test_another_model_is_a_mismatch_naming_both(tmp_path: Path, fake_settings: Settings) -> None:
    ix = tmp_path / "ix"
    build_index(DOCS, ix, settings=fake_settings)
    manifest = json.loads((ix / MANIFEST_NAME).read_text())
    manifest["model"]["name"] = "intfloat/multilingual-e5-small"
    manifest["model"]["fingerprint"] = "abc"
    (ix / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(
        IndexMismatchError, match=r"built with model 'intfloat/multilingual-e5-small'.*asked for is 'fake'"
    ):
        load_index(ix, model="fake", settings=fake_settings)
    with pytest.raises(IndexMismatchError, match="--full"):
        build_index(DOCS, ix, model="fake", settings=fake_settings)
    report = build_index(DOCS, ix, model="fake", full=True, settings=fake_settings)
    assert len(report.added) == 3


def test_empty_and_punctuation_queries_are_errors(tmp_path: Path, fake_settings: Settings) -> None:
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    index = load_index(tmp_path / "ix", settings=fake_settings)
    for q in ["", "   ", "?!...", "\n\t"]:
        with pytest.raises(QueryError, match="Empty query"):
            index.search(q)
    with pytest.raises(QueryError, match="top_k"):
        index.search("SPBE", top_k=0)


def test_a_very_long_query_is_cut_with_a_warning(
    tmp_path: Path, fake_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    index = load_index(tmp_path / "ix", settings=fake_settings)
    result = index.search("perizinan berusaha OSS " * 400, top_k=2)
    assert result.truncated and result[0].doc_id == "oss"
    assert "cut to the model's limit" in caplog.text
    assert not index.search("perizinan OSS").truncated


def test_duplicate_and_empty_documents_are_skipped(tmp_path: Path, fake_settings: Settings) -> None:
    docs = [*DOCS, Document("oss", "lagi"), Document("kosong", "   ")]
    report = build_index(docs, tmp_path / "ix", settings=fake_settings)
    assert {s.source for s in report.skipped} == {"oss", "kosong"}
    assert load_index(tmp_path / "ix", settings=fake_settings).document("oss").text.startswith("Perizinan")


def test_pdf_hits_cite_the_page_their_passage_starts_on(tmp_path: Path, fake_settings: Settings) -> None:
    first = " ".join(f"Ketentuan umum nomor {i} berlaku." for i in range(40))
    second = (
        " ".join(f"Pelayanan kantor nomor {i} dibuka." for i in range(80)) + " Warga berhak mengadukan penyelenggara."
    )
    doc = Document("reg.pdf", f"{first}\n\n{second}", title="Reg", pages=(0, len(first) + 2))
    build_index([doc], tmp_path / "ix", settings=fake_settings)
    index = load_index(tmp_path / "ix", settings=fake_settings)
    hit = index.search("Warga berhak mengadukan penyelenggara", top_k=1)[0]
    assert hit.doc_id == "reg.pdf" and "mengadukan penyelenggara" in hit.text
    assert hit.page == 2 and hit.start > len(first) and hit.citation.text("id") == "Reg, hlm. 2"
    pages = [h.page for h in index.search("Ketentuan umum nomor 3", top_k=5)]
    assert pages[0] == 1 and set(pages) <= {1, 2}


def test_removing_every_document_leaves_an_empty_searchable_index(tmp_path: Path, fake_settings: Settings) -> None:
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    report = build_index([], tmp_path / "ix", settings=fake_settings)
    assert len(report.removed) == 3 and report.total_chunks == 0
    assert len(load_index(tmp_path / "ix", settings=fake_settings).search("SPBE")) == 0


def test_index_folder_can_be_copied_and_loaded_elsewhere(tmp_path: Path, fake_settings: Settings) -> None:
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    shutil.copytree(tmp_path / "ix", tmp_path / "moved")
    assert load_index(tmp_path / "moved", settings=fake_settings).search("e-KTP NIK")[0].doc_id == "ektp"


def test_search_without_highlights_returns_the_same_ranking(tmp_path: Path, fake_settings: Settings) -> None:
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    index = load_index(tmp_path / "ix", settings=fake_settings)
    full = index.search("NIK e-KTP Disdukcapil", top_k=3)
    bare = index.search("NIK e-KTP Disdukcapil", top_k=3, highlight=False)
    assert [h.chunk_id for h in full] == [h.chunk_id for h in bare]
    assert all(h.highlights for h in full) and all(h.highlights == () for h in bare)


class ShortModel(CountingEmbedder):
    """A fake with a 96-token sequence limit, like small sentence-transformers models."""

    max_tokens = 96


def test_chunks_shrink_to_fit_a_model_with_a_short_sequence_limit(
    tmp_path: Path, use_embedder: Callable[[Embedder], None]
) -> None:
    emb = ShortModel()
    use_embedder(emb)
    body = " ".join(f"Kalimat {i} tentang layanan publik digital." for i in range(60))
    build_index([Document("long", body, title="Judul dokumen yang cukup panjang")], tmp_path / "ix")
    title = emb.count_tokens(["Judul dokumen yang cukup panjang"])[0]
    assert len(emb.passages) > 3
    assert all(title < n <= emb.max_tokens - 48 for n in emb.count_tokens(emb.passages))


def test_a_search_embeds_only_the_question_when_the_index_kept_unit_vectors(
    tmp_path: Path, counting: CountingEmbedder
) -> None:
    build_index(DOCS, tmp_path / "ix")
    index = load_index(tmp_path / "ix")
    counting.passages.clear()
    hits = index.search("NIK e-KTP Disdukcapil", top_k=3)
    answer = index.ask("Siapa yang menerbitkan e-KTP?")
    assert counting.passages == [], "the evidence units' vectors come from the index"
    assert all(h.highlights for h in hits) and answer.evidence
    english = index.ask("Who issues the electronic ID card (e-KTP)?")
    assert english.language == "en" and counting.passages, "an English question has its units embedded"


def test_unit_vectors_kept_at_ingest_score_as_the_units_embedded_alone_for_the_fake(tmp_path: Path) -> None:
    """The fake "pools" by embedding each unit's text, so both paths must agree exactly."""
    pooled_dir, plain_dir = tmp_path / "pooled", tmp_path / "plain"
    from egov_qa import register_embedder

    register_embedder("unpooled-fake", UnpooledEmbedder)
    try:
        build_index(DOCS, pooled_dir, settings=Settings(model="fake"))
        build_index(DOCS, plain_dir, settings=Settings(model="unpooled-fake"))
        pooled, plain = load_index(pooled_dir, model="fake"), load_index(plain_dir, model="unpooled-fake")
        query = "Siapa yang menerbitkan e-KTP?"
        qvec = pooled.embedder.embed_queries([query])[0]
        a, b = pooled.search(query, top_k=3), plain.search(query, top_k=3)
        units_a, sent_a, _ = pooled.unit_cosines(a.hits, qvec, a.language)
        units_b, sent_b, _ = plain.unit_cosines(b.hits, qvec, b.language)
        assert units_a == units_b and len(units_a) == 3
        for x, y in zip(sent_a, sent_b, strict=True):
            assert np.allclose(x, y, atol=2e-3)  # float16 storage
        assert [h.highlights for h in a] == [h.highlights for h in b]
    finally:
        register_embedder("unpooled-fake", None)


def test_sentence_vectors_are_cached_between_searches(tmp_path: Path, unpooled: UnpooledEmbedder) -> None:
    build_index(DOCS, tmp_path / "ix")
    index = load_index(tmp_path / "ix")
    unpooled.passages.clear()
    first = index.search("NIK e-KTP Disdukcapil", top_k=3)
    embedded = len(unpooled.passages)
    assert embedded >= 3, "an engine that cannot pool has the units embedded when asked"
    second = index.search("Disdukcapil NIK e-KTP", top_k=3)
    assert len(unpooled.passages) == embedded, "no sentence embedded twice"
    assert {h.chunk_id for h in first} == {h.chunk_id for h in second}
    assert all(h.highlights for h in second)


def test_sentence_vector_cache_is_bounded() -> None:
    from egov_qa.evidence import SentenceVectors

    cache = SentenceVectors(capacity=2)
    for i in range(3):
        cache.put((i, "sentences"), np.full((1, 4), i, dtype=np.float32))
    assert cache.get((0, "sentences")) is None
    assert cache.get((2, "sentences")) is not None and cache.get((1, "sentences")) is not None


def test_a_loaded_index_keeps_answering_while_a_rebuild_swaps_in_the_next_generation(
    tmp_path: Path, fake_settings: Settings
) -> None:
    docs = [Document("a", "Pelayanan publik daring di kabupaten."), Document("b", "Perizinan berusaha lewat OSS.")]
    build_index(docs, tmp_path / "ix", settings=fake_settings)
    old = load_index(tmp_path / "ix", settings=fake_settings)
    before = [h.doc_id for h in old.search("perizinan OSS", top_k=2)]
    build_index([*docs, Document("c", "Mal pelayanan publik digital.")], tmp_path / "ix", settings=fake_settings)
    # the old generation's files are gone from the folder, but the loaded index still reads them
    assert [h.doc_id for h in old.search("perizinan OSS", top_k=2)] == before
    assert old.document("b") is not None and "c" not in old.document_ids()
    new = load_index(tmp_path / "ix", settings=fake_settings)
    assert "c" in new.document_ids() and new.manifest.generation == old.manifest.generation + 1


def test_a_second_ingest_is_refused_while_another_holds_the_lock(tmp_path: Path, fake_settings: Settings) -> None:
    import subprocess
    import sys

    ix = tmp_path / "ix"
    build_index(DOCS, ix, settings=fake_settings)
    before = (ix / MANIFEST_NAME).read_text()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from egov_qa.store import write_lock\n"
         "with write_lock(__import__('pathlib').Path(sys.argv[1])):\n print('locked', flush=True); time.sleep(30)",
         str(ix)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(egov_qa.EgovQAError, match="Another ingest is writing the index"):
            build_index([*DOCS, Document("baru", "Dokumen baru.")], ix, settings=fake_settings)
        with pytest.raises(egov_qa.EgovQAError, match="Another ingest"):
            build_index(DOCS, ix, settings=fake_settings, full=True)
    finally:
        holder.kill()
        holder.wait()
    assert (ix / MANIFEST_NAME).read_text() == before  # the refused ingests changed nothing
    assert load_index(ix, settings=fake_settings).document_ids() == ["ektp", "oss", "spbe"]
    assert build_index([*DOCS, Document("baru", "Dokumen baru.")], ix, settings=fake_settings).added == ("baru",)


def test_a_new_splitter_cuts_again_and_keeps_the_vectors_of_unchanged_chunks(
    corpus: Path, fake_settings: Settings
) -> None:
    ix = fake_settings.index_dir
    first = build_index(corpus, ix, settings=fake_settings)
    manifest = json.loads((ix / "manifest.json").read_text())
    manifest["chunking"]["splitter_version"] = 1  # as an index built before this egov-qa cut documents
    (ix / "manifest.json").write_text(json.dumps(manifest))
    before = load_index(ix, settings=fake_settings).search("perizinan OSS", top_k=3)
    report = build_index(corpus, ix, settings=fake_settings)
    assert sorted(report.updated) == sorted(first.added) and report.chunks_embedded == 0
    assert any("cut again" in n.reason and f"{first.total_chunks} kept their vectors" in n.reason for n in report.notes)
    assert json.loads((ix / "manifest.json").read_text())["chunking"]["splitter_version"] == SPLITTER_VERSION
    after = load_index(ix, settings=fake_settings).search("perizinan OSS", top_k=3)
    # the same vectors: the same cosines (BM25's statistics count the removed rows until they are swept)
    assert [(h.doc_id, h.text, round(h.dense_score or 0.0, 5)) for h in after] == [
        (h.doc_id, h.text, round(h.dense_score or 0.0, 5)) for h in before
    ]
    with pytest.raises(IndexMismatchError, match="--full"):  # a budget of one's own choosing still asks for --full
        build_index(corpus, ix, settings=fake_settings, params=ChunkParams(max_tokens=64))


def test_a_document_kept_from_a_skipped_file_is_cut_again_once_it_reads(corpus: Path, fake_settings: Settings) -> None:
    ix = fake_settings.index_dir
    build_index(corpus, ix, settings=fake_settings)
    manifest = json.loads((ix / "manifest.json").read_text())
    manifest["chunking"]["splitter_version"] = 1
    (ix / "manifest.json").write_text(json.dumps(manifest))
    original = (corpus / "spbe.md").read_bytes()
    (corpus / "spbe.md").write_bytes(b"\x00binary")  # unreadable this time: its indexed version is kept
    report = build_index(corpus, ix, settings=fake_settings)
    assert "spbe.md" in report.unchanged
    assert json.loads((ix / "manifest.json").read_text())["chunking"]["splitter_version"] == 1  # not cut yet
    (corpus / "spbe.md").write_bytes(original)
    again = build_index(corpus, ix, settings=fake_settings)
    assert "spbe.md" in again.updated and again.chunks_embedded == 0
    assert json.loads((ix / "manifest.json").read_text())["chunking"]["splitter_version"] == SPLITTER_VERSION
