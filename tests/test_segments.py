"""The index grows by segments: appends, readers holding their generation, merges, HNSW, old formats."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from egov_qa import Document, Settings, build_index, compact_index, load_index
from egov_qa import vector_segments as segments
from egov_qa.cli import main
from egov_qa.manifest import KIND_FLAT, KIND_HNSW, MANIFEST_NAME, Manifest
from egov_qa.store import IndexReader

TOPICS = [
    "perizinan berusaha melalui OSS dan NIB",
    "kartu tanda penduduk elektronik dan Disdukcapil",
    "pengaduan pelayanan publik lewat SP4N-LAPOR",
    "arsitektur SPBE dan evaluasi Kementerian PANRB",
    "Satu Data Indonesia dan walidata daerah",
    "kesenjangan digital di desa terpencil",
]


def _doc(i: int) -> Document:
    """A document of two short paragraphs with a word only it holds (``kata{i}unik``)."""
    topic = TOPICS[i % len(TOPICS)]
    text = (
        f"Dokumen nomor {i} membahas {topic}. Kata kata{i}unik hanya ada di sini.\n\n"
        f"Bagian kedua dokumen {i} menjelaskan {topic} bagi warga dan pemerintah daerah."
    )
    return Document(f"d{i}.txt", text, title=f"Dokumen {i}")


def _hits(index, query: str, mode: str = "hybrid", k: int = 5) -> list[tuple[str, float]]:  # noqa: ANN001
    return [(h.doc_id, round(h.score, 5)) for h in index.search(query, top_k=k, mode=mode, highlight=False)]


def _rows(ix: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(ix / Manifest.read(ix).store_file) as db:
        return db.execute(sql).fetchall()


def test_an_ingest_writes_one_new_segment_and_appends_to_the_same_store(
    tmp_path: Path, fake_settings: Settings
) -> None:
    ix, docs = tmp_path / "ix", [_doc(i) for i in range(6)]
    build_index(docs, ix, settings=fake_settings)
    first = Manifest.read(ix)
    old_segment = (ix / first.segments[0].file).read_bytes()

    report = build_index([*docs, _doc(6)], ix, settings=fake_settings)
    second = Manifest.read(ix)
    assert second.store_file == first.store_file
    assert [s.file for s in second.segments] == [first.segments[0].file, "seg-2-0.faiss"]
    assert second.segments[1].count == report.chunks_embedded > 0
    assert (ix / first.segments[0].file).read_bytes() == old_segment  # never rewritten

    build_index([*docs[1:], _doc(6)], ix, settings=fake_settings)  # d0 removed: no vectors written
    third = Manifest.read(ix)
    removed = len(_rows(ix, "SELECT id FROM chunks WHERE doc_id = 'd0.txt'"))
    assert [s.file for s in third.segments] == [s.file for s in second.segments]
    assert third.segments[0].dead == removed > 0 and third.chunks == second.chunks - removed
    index = load_index(ix, settings=fake_settings)
    assert "d0.txt" not in index.document_ids()
    for mode in ("dense", "lexical", "hybrid"):
        assert "d0.txt" not in [d for d, _ in _hits(index, "kata0unik", mode)]
    assert _hits(index, "kata6unik", "lexical")[0][0] == "d6.txt"


def test_a_reader_keeps_its_generation_while_ingests_remove_what_it_reads(
    tmp_path: Path, fake_settings: Settings
) -> None:
    ix, docs = tmp_path / "ix", [_doc(i) for i in range(6)]
    build_index(docs, ix, settings=fake_settings)
    old = load_index(ix, settings=fake_settings)
    before = {mode: _hits(old, "kata0unik perizinan OSS", mode) for mode in ("dense", "lexical", "hybrid")}
    assert before["lexical"][0][0] == "d0.txt"

    build_index([*docs[1:], _doc(6)], ix, settings=fake_settings)  # removes d0
    build_index([*docs[2:], _doc(7)], ix, settings=fake_settings)  # removes d1 and d6 too
    assert old.document_ids() == sorted(d.doc_id for d in docs)
    assert old.document("d0.txt") is not None
    # the dense side is exactly as it was; BM25's word statistics are shared with the rows added since,
    # so lexical scores (and with them the order) may move, but the same chunks match
    assert _hits(old, "kata0unik perizinan OSS", "dense") == before["dense"]
    lexical = old.search("kata0unik perizinan OSS", top_k=20, mode="lexical", highlight=False)
    assert {h.doc_id for h in lexical} == {d for d, _ in _hits(old, "kata0unik perizinan OSS", "lexical", k=20)}
    assert "d0.txt" in {h.doc_id for h in lexical} and not {h.doc_id for h in lexical} - {d.doc_id for d in docs}
    assert _rows(ix, "SELECT COUNT(*) FROM documents WHERE doc_id = 'd0.txt'") == [(1,)]  # held for the old reader

    new = load_index(ix, settings=fake_settings)
    assert new.document_ids() == sorted(d.doc_id for d in [*docs[2:], _doc(7)])
    old.close()
    build_index([*docs[2:], _doc(7), _doc(8)], ix, settings=fake_settings)
    # nobody reads generation 1 or 2 any more: the rows removed by generation 3 are gone
    assert _rows(ix, "SELECT COUNT(*) FROM documents WHERE doc_id IN ('d0.txt', 'd1.txt', 'd6.txt')") == [(0,)]
    assert _rows(ix, "SELECT COUNT(*) FROM chunk_terms WHERE chunk_terms MATCH 'kata0unik'") == [(0,)]
    assert new.document_ids() == sorted(d.doc_id for d in [*docs[2:], _doc(7)])
    assert [d for d, _ in _hits(new, "kata7unik", "lexical")][:1] == ["d7.txt"]
    new.close()
    assert not list(ix.glob(".reader-1.lock")) and not list(ix.glob(".reader-2.lock"))


def test_a_reader_that_reads_its_vectors_late_still_finds_merged_away_segments(
    tmp_path: Path, fake_settings: Settings
) -> None:
    ix = tmp_path / "ix"
    for n in range(2, 5):
        build_index([_doc(i) for i in range(n)], ix, settings=fake_settings)
    late = IndexReader(ix, load_vectors=False)
    files = {s.file for s in late.manifest.segments}
    compact_index(ix)
    assert all((ix / f).is_file() for f in files)  # retired, kept while generation 3 is held
    assert late.vectors.ntotal == late.manifest.chunks
    late.close()
    build_index([_doc(i) for i in range(5)], ix, settings=fake_settings)
    assert not any((ix / f).exists() for f in files)
    assert not Manifest.read(ix).retired


def test_a_segment_that_lost_over_a_third_of_its_chunks_is_rewritten(tmp_path: Path, fake_settings: Settings) -> None:
    ix = tmp_path / "ix"
    build_index([_doc(i) for i in range(4)], ix, settings=fake_settings)
    build_index([_doc(i) for i in range(6)], ix, settings=fake_settings)
    build_index([_doc(i) for i in range(1, 6)], ix, settings=fake_settings)
    assert [(s.file, s.count, s.dead) for s in Manifest.read(ix).segments] == [
        ("seg-1-0.faiss", 4, 1),
        ("seg-2-0.faiss", 2, 0),
    ]
    build_index([_doc(i) for i in range(2, 6)], ix, settings=fake_settings)  # 2 of 4 gone: rewritten alone
    assert [(s.file, s.count, s.dead) for s in Manifest.read(ix).segments] == [
        ("seg-4-1.faiss", 2, 0),
        ("seg-2-0.faiss", 2, 0),
    ]
    assert [d for d, _ in _hits(load_index(ix, settings=fake_settings), "kata3unik", "lexical")][:1] == ["d3.txt"]


def test_small_segments_are_merged_and_search_as_a_fresh_build_does(
    tmp_path: Path, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 3)
    ix = tmp_path / "ix"
    for n in range(1, 8):
        build_index([_doc(i) for i in range(n) if i != 2], ix, settings=fake_settings)
        assert len(Manifest.read(ix).segments) <= 3
    manifest = Manifest.read(ix)
    assert sum(s.live for s in manifest.segments) == manifest.chunks
    build_index([_doc(i) for i in range(7) if i != 2], tmp_path / "fresh", settings=fake_settings)
    merged, fresh = load_index(ix, settings=fake_settings), load_index(tmp_path / "fresh", settings=fake_settings)
    for query in ("perizinan OSS", "kata4unik", "pengaduan pelayanan publik"):
        for mode in ("dense", "lexical"):
            assert _hits(merged, query, mode) == _hits(fresh, query, mode)


def test_large_segments_are_hnsw_graphs_that_hide_removed_chunks(
    tmp_path: Path, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [_doc(i) for i in range(12)]
    build_index(docs, tmp_path / "exact", settings=fake_settings)
    monkeypatch.setattr(segments, "HNSW_MIN", 10)
    ix = tmp_path / "ix"
    build_index(docs, ix, settings=fake_settings)
    assert [s.kind for s in Manifest.read(ix).segments] == [KIND_HNSW]
    graph, exact = load_index(ix, settings=fake_settings), load_index(tmp_path / "exact", settings=fake_settings)
    for query in ("perizinan OSS", "kata5unik", "Satu Data walidata"):
        assert _hits(graph, query, "dense") == _hits(exact, query, "dense")  # a small graph finds the exact answer
    graph.close()

    build_index(docs[1:], ix, settings=fake_settings)  # the removed chunks stay in the graph, hidden
    assert [(s.kind, s.dead > 0) for s in Manifest.read(ix).segments] == [(KIND_HNSW, True)]
    graph = load_index(ix, settings=fake_settings)
    assert "d0.txt" not in [d for d, _ in _hits(graph, "kata0unik", "dense", k=20)]
    reader = graph._reader
    everything = reader.dense_all(graph.embedder.embed_queries(["kata0unik"])[0])
    assert len(everything) == Manifest.read(ix).chunks
    assert not set(reader.chunk_rows([i for i, _ in everything])) ^ {i for i, _ in everything}
    vectors = reader.vectors_of([i for i, _ in everything[:3]])
    assert vectors.shape == (3, graph.embedder.dimension) and np.all(np.linalg.norm(vectors, axis=1) > 0.5)


def test_compact_merges_every_segment_and_drops_removed_rows(tmp_path: Path, fake_settings: Settings) -> None:
    ix = tmp_path / "ix"
    for n in (4, 6, 8):
        build_index([_doc(i) for i in range(n)], ix, settings=fake_settings)
    build_index([_doc(i) for i in range(1, 8)], ix, settings=fake_settings)  # 1 of seg 1's 4: not rewritten
    before = load_index(ix, settings=fake_settings)
    hits = {q: _hits(before, q, "dense") for q in ("perizinan OSS", "kata3unik")}
    before.close()
    info = CliRunner().invoke(main, ["info", "--index", str(ix)]).output
    assert "Vectors:    3 segment(s): flat " in info and "of removed chunks, dropped by: egov-qa compact" in info
    result = CliRunner().invoke(main, ["compact", "--index", str(ix)])
    assert result.exit_code == 0, result.output
    assert "3 segment(s) -> 1 (flat of" in result.output
    manifest = Manifest.read(ix)
    assert len(manifest.segments) == 1 and manifest.segments[0].dead == 0
    assert manifest.segments[0].count == manifest.chunks
    assert _rows(ix, "SELECT COUNT(*) FROM chunks WHERE removed IS NOT NULL") == [(0,)]
    after = load_index(ix, settings=fake_settings)
    assert {q: _hits(after, q, "dense") for q in hits} == hits
    assert build_index([_doc(i) for i in range(1, 9)], ix, settings=fake_settings).added == ("d8.txt",)


def _as_format_1(ix: Path, old: Path) -> None:
    """Write ``ix``'s index as egov-qa wrote indexes before segments: one vectors file, one plain store."""
    import faiss

    reader = IndexReader(ix)
    manifest = reader.manifest.to_dict()
    old.mkdir()
    with sqlite3.connect(old / "store-1.sqlite") as db:
        db.executescript(
            """
            CREATE TABLE documents (doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL,
                metadata TEXT NOT NULL, content_hash TEXT NOT NULL, pages TEXT NOT NULL);
            CREATE TABLE chunks (id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
                start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, heading TEXT NOT NULL,
                page INTEGER, sentences TEXT NOT NULL, details TEXT, units BLOB);
            CREATE TABLE regulations (doc_id TEXT PRIMARY KEY, reference TEXT NOT NULL, title TEXT NOT NULL,
                issuer TEXT NOT NULL, amends TEXT NOT NULL, repeals TEXT NOT NULL, partly_repeals TEXT NOT NULL);
            CREATE VIRTUAL TABLE chunk_terms USING fts5(terms, tokenize = "unicode61 remove_diacritics 2 tokenchars '_'");
            """
        )
        db.execute("ATTACH DATABASE ? AS new", (str(ix / reader.manifest.store_file),))
        db.execute("INSERT INTO documents SELECT doc_id, title, text, metadata, content_hash, pages FROM new.documents")
        db.execute(
            "INSERT INTO chunks SELECT id, doc_id, ordinal, start, end, text, heading, page, sentences, details, units"
            " FROM new.chunks"
        )
        db.execute("INSERT INTO chunk_terms (rowid, terms) SELECT rowid, terms FROM new.chunk_terms")
    ids = np.asarray(sorted(reader.chunk_documents()), dtype=np.int64)
    flat = faiss.IndexIDMap2(faiss.IndexFlatIP(reader.manifest.model.dimension))
    flat.add_with_ids(reader.vectors_of(list(ids)), ids)
    faiss.write_index(flat, str(old / "vectors-1.faiss"))
    reader.close()
    manifest["format_version"], manifest["generation"] = 1, 1
    manifest["files"] = {"vectors": "vectors-1.faiss", "store": "store-1.sqlite"}
    (old / MANIFEST_NAME).write_text(json.dumps(manifest))


def test_an_index_of_format_1_is_read_and_turned_into_segments_at_its_next_ingest(
    tmp_path: Path, fake_settings: Settings
) -> None:
    docs = [_doc(i) for i in range(5)]
    build_index(docs, tmp_path / "new", settings=fake_settings)
    ix = tmp_path / "old"
    _as_format_1(tmp_path / "new", ix)
    old, new = load_index(ix, settings=fake_settings), load_index(tmp_path / "new", settings=fake_settings)
    for mode in ("dense", "lexical", "hybrid"):
        assert _hits(old, "perizinan OSS kata1unik", mode) == _hits(new, "perizinan OSS kata1unik", mode)
    old.close()

    report = build_index([*docs[1:], _doc(5)], ix, settings=fake_settings)
    assert report.added == ("d5.txt",) and report.removed == ("d0.txt",) and len(report.unchanged) == 4
    manifest = Manifest.read(ix)
    assert manifest.format_version == 2 and manifest.store_file == "store-2.sqlite"
    assert [s.file for s in manifest.segments] == ["vectors-1.faiss", "seg-2-0.faiss"]
    assert ("store-1.sqlite", 2) in manifest.retired
    build_index([*docs[1:], _doc(5)], tmp_path / "again", settings=fake_settings)
    upgraded, fresh = load_index(ix, settings=fake_settings), load_index(tmp_path / "again", settings=fake_settings)
    for query in ("perizinan OSS", "kata5unik", "kata0unik"):
        assert [d for d, _ in _hits(upgraded, query, "dense")] == [d for d, _ in _hits(fresh, query, "dense")]
    upgraded.close()
    build_index([*docs[1:], _doc(5)], ix, settings=fake_settings)
    assert not (ix / "store-1.sqlite").exists()
    assert {s.kind for s in Manifest.read(ix).segments} == {KIND_FLAT}


def test_a_reader_dropped_without_closing_lets_go_of_its_generation(tmp_path: Path, fake_settings: Settings) -> None:
    import gc

    ix, docs = tmp_path / "ix", [_doc(i) for i in range(4)]
    build_index(docs, ix, settings=fake_settings)
    index = load_index(ix, settings=fake_settings)
    assert index.document("d0.txt") is not None
    del index
    gc.collect()
    build_index(docs[1:], ix, settings=fake_settings)
    build_index(docs[2:], ix, settings=fake_settings)
    assert _rows(ix, "SELECT doc_id FROM documents WHERE doc_id IN ('d0.txt', 'd1.txt')") == [("d1.txt",)]


def test_an_interrupt_after_the_swap_keeps_the_new_generation(
    tmp_path: Path, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import egov_qa.manifest

    ix = tmp_path / "ix"
    build_index([_doc(i) for i in range(3)], ix, settings=fake_settings)
    real = egov_qa.manifest.fsync_path

    def interrupted(path: Path) -> None:  # Ctrl-C while the folder is flushed, after the manifest's rename
        real(path)
        if path == ix:
            raise KeyboardInterrupt

    monkeypatch.setattr(egov_qa.manifest, "fsync_path", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_index([_doc(i) for i in range(4)], ix, settings=fake_settings)
    monkeypatch.undo()
    index = load_index(ix, settings=fake_settings)
    assert index.manifest.generation == 2 and "d3.txt" in index.document_ids()
    assert _hits(index, "kata3unik", "lexical")[0][0] == "d3.txt"
    assert build_index([_doc(i) for i in range(5)], ix, settings=fake_settings).added == ("d4.txt",)


def test_threads_searching_a_graph_with_removed_chunks_never_see_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(segments, "HNSW_MIN", 10)
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(100, 4100, dtype=np.int64)
    graph, kind = segments.build(ids, vectors, 32)
    live = ids[ids % 2 == 0]  # half of them removed since the segment was written
    pooled = segments.Vectors([(graph, live)], 32)
    assert kind == KIND_HNSW and pooled.ntotal == 2000

    def search(n: int) -> set[int]:  # the app's sessions search one loaded index from many threads
        return {i for q in range(n, n + 150) for i, _ in pooled.search(vectors[q], 10)}

    with ThreadPoolExecutor(4) as pool:
        found = set().union(*pool.map(search, range(0, 2400, 150)))
    assert found and all(i % 2 == 0 for i in found)


def test_a_folder_this_process_cannot_write_is_read_as_it_was_last_committed(
    tmp_path: Path, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import egov_qa.store

    ix = tmp_path / "ix"
    for n in (3, 5):
        build_index([_doc(i) for i in range(n) if i != 1], ix, settings=fake_settings)
    assert _rows(ix, "PRAGMA journal_mode") == [("wal",)]  # the second ingest appended in place
    monkeypatch.setattr(egov_qa.store.os, "access", lambda path, mode: False)  # as a read-only copy
    index = load_index(ix, settings=fake_settings)
    assert index.document_ids() == ["d0.txt", "d2.txt", "d3.txt", "d4.txt"]
    assert _hits(index, "kata4unik", "lexical")[0][0] == "d4.txt"


def test_an_index_that_keeps_changing_while_it_opens_is_a_clear_error(
    tmp_path: Path, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from egov_qa import EgovQAError

    ix = tmp_path / "ix"
    build_index([_doc(0)], ix, settings=fake_settings)
    real, count = Manifest.read, iter(range(1, 1000))

    def moving(index_dir: Path) -> Manifest:
        return replace(real(index_dir), generation=next(count))

    monkeypatch.setattr(Manifest, "read", staticmethod(moving))
    with pytest.raises(EgovQAError, match="changed 20 times while it was being opened; try again"):
        IndexReader(ix)


def test_a_segment_whose_chunks_are_all_removed_is_dropped(tmp_path: Path, fake_settings: Settings) -> None:
    ix = tmp_path / "ix"
    build_index([_doc(i) for i in range(2)], ix, settings=fake_settings)
    build_index([_doc(i) for i in range(4)], ix, settings=fake_settings)
    build_index([_doc(i) for i in range(2, 4)], ix, settings=fake_settings)
    manifest = Manifest.read(ix)
    assert [(s.file, s.count, s.dead) for s in manifest.segments] == [("seg-2-0.faiss", 2, 0)]
    assert ("seg-1-0.faiss", 3) in manifest.retired and manifest.chunks == 2
    assert load_index(ix, settings=fake_settings).document_ids() == ["d2.txt", "d3.txt"]


def test_an_old_reader_passes_over_better_lexical_matches_added_after_its_generation(
    tmp_path: Path, fake_settings: Settings
) -> None:
    from egov_qa.analysis import analyze

    ix, docs = tmp_path / "ix", [_doc(i) for i in range(3)]
    build_index(docs, ix, settings=fake_settings)
    old = IndexReader(ix)
    later = [Document(f"x{i}.txt", "kata0unik " * (20 + i), title="kata0unik") for i in range(6)]
    build_index([*docs, *later], ix, settings=fake_settings)
    terms = analyze("kata0unik")
    rows = old.chunk_rows([i for i, _ in old.lexical_search(terms, 1)])
    assert [r["doc_id"] for r in rows.values()] == ["d0.txt"]  # the six better matches are not its generation's
    new = IndexReader(ix)
    assert len(new.lexical_search(terms, 10)) == 7 and len(old.lexical_search(terms, None)) == 1
