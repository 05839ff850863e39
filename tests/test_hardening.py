"""Hostile corpora and requests: one bad file never stops an ingest, nothing outside the corpus gets in, work is bounded."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import egov_qa.corpus
from egov_qa import Corpus, CorpusError, QueryError, Settings, build_index, load_index
from egov_qa.cli import main
from egov_qa.manage import check_file

GOOD = "Pelayanan Publik\n\nPemerintah daerah membuka layanan pengaduan daring bagi warga.\n"
BILLION_LAUGHS = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "title: *g\n"
    "---\nIsi berita tentang layanan publik.\n"
)


@pytest.fixture
def folder(fake_settings: Settings) -> Path:
    fake_settings.corpus_dir.mkdir(parents=True)
    (fake_settings.corpus_dir / "baik.txt").write_text(GOOD, encoding="utf-8")
    return fake_settings.corpus_dir


def _ingest(settings: Settings) -> egov_qa.IngestReport:
    return build_index(settings.corpus_dir, settings.index_dir, settings=settings)


def reasons(report: egov_qa.IngestReport) -> dict[str, str]:
    return {s.source: s.reason for s in report.skipped}


def test_a_symlink_out_of_the_corpus_is_not_followed(folder: Path, fake_settings: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "rahasia.txt"
    secret.write_text("Kata sandi server: hunter2. Dokumen internal.\n", encoding="utf-8")
    (folder / "tautan.txt").symlink_to(secret)
    outside_dir = tmp_path / "luar"
    outside_dir.mkdir()
    (outside_dir / "lain.txt").write_text("Dokumen di luar korpus.\n", encoding="utf-8")
    (folder / "folder-luar").symlink_to(outside_dir, target_is_directory=True)
    (folder / "salinan.txt").symlink_to(folder / "baik.txt")  # a link inside the corpus is read
    report = _ingest(fake_settings)
    assert "not followed" in reasons(report)["tautan.txt"]
    assert report.added == ("baik.txt", "salinan.txt")
    index = load_index(fake_settings.index_dir, settings=fake_settings)
    assert all("hunter2" not in h.text for h in index.search("kata sandi server", top_k=5))


def test_remove_deletes_the_link_never_its_target(folder: Path, fake_settings: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "penting.txt"
    secret.write_text("Jangan dihapus.\n", encoding="utf-8")
    (folder / "tautan.txt").symlink_to(secret)
    (folder / "salinan.txt").symlink_to(folder / "baik.txt")
    corpus = Corpus(fake_settings)
    assert corpus.remove("tautan.txt", update=False).removed == ("tautan.txt",)
    assert corpus.remove("salinan.txt", update=False).removed == ("salinan.txt",)
    assert secret.read_text() == "Jangan dihapus.\n" and (folder / "baik.txt").is_file()
    assert not (folder / "tautan.txt").is_symlink() and not (folder / "salinan.txt").exists()
    with pytest.raises(CorpusError, match="not a file of the corpus"):
        corpus.remove("../penting.txt", update=False)


def test_removing_a_jsonl_line_explains_where_it_lives(folder: Path, fake_settings: Settings) -> None:
    (folder / "data.jsonl").write_text('{"id": "a", "text": "Satu Data."}\n{"id": "b", "text": "Data terbuka."}\n')
    with pytest.raises(CorpusError, match="one line of the JSON Lines file data.jsonl.*remove 'data.jsonl'"):
        Corpus(fake_settings).remove("data.jsonl#a", update=False)
    assert (folder / "data.jsonl").is_file()


def test_yaml_aliases_are_refused_quickly_in_ingest_and_upload(folder: Path, fake_settings: Settings) -> None:
    (folder / "bom.md").write_text(BILLION_LAUGHS, encoding="utf-8")
    started = time.monotonic()
    report = _ingest(fake_settings)
    assert "aliases" in reasons(report)["bom.md"] and report.added == ("baik.txt",)
    with pytest.raises(CorpusError, match="aliases"):
        check_file("bom.md", BILLION_LAUGHS.encode())
    assert time.monotonic() - started < 5
    huge = "---\n" + "".join(f"k{i}: {'x' * 60}\n" for i in range(400)) + "---\nIsi.\n"
    with pytest.raises(CorpusError, match="front matter over 16 KB"):
        check_file("besar.md", huge.encode())


def test_a_reader_failure_skips_only_its_file(
    folder: Path, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")

    monkeypatch.setattr(egov_qa.corpus, "html_document", broken)
    (folder / "halaman.html").write_text("<html><body><p>Berita layanan publik.</p></body></html>")
    report = _ingest(fake_settings)
    assert report.added == ("baik.txt",)
    assert "ImportError" in reasons(report)["halaman.html"] and "lxml_html_clean" in reasons(report)["halaman.html"]


def test_a_file_name_that_is_not_utf8_is_skipped_with_its_reason(folder: Path, fake_settings: Settings) -> None:
    os.close(os.open(os.fsencode(folder) + b"/berita-\xff.txt", os.O_CREAT | os.O_WRONLY))
    with open(os.fsencode(folder) + b"/berita-\xff.txt", "wb") as fh:
        fh.write(GOOD.encode())
    report = _ingest(fake_settings)
    assert report.added == ("baik.txt",)
    assert reasons(report)["berita-\\xff.txt"] == "the file name is not valid UTF-8; rename the file"
    result = CliRunner().invoke(
        main, ["ingest", str(folder), "--index", str(fake_settings.index_dir)], env={"EGOV_QA_MODEL": "fake"}
    )
    assert result.exit_code == 0 and "berita-\\xff.txt: the file name is not valid UTF-8" in result.output


def test_binary_content_is_found_anywhere_in_the_file(folder: Path, fake_settings: Settings) -> None:
    (folder / "ekor.txt").write_bytes(GOOD.encode() * 2000 + b"\x00\x01\x02")  # NUL after the first 64 KiB
    (folder / "acak.txt").write_bytes(bytes(range(1, 9)) * 4000)  # control bytes, no NUL at all
    report = _ingest(fake_settings)
    assert "binary" in reasons(report)["ekor.txt"] and "binary" in reasons(report)["acak.txt"]
    assert report.added == ("baik.txt",)


def test_a_long_run_without_spaces_is_dropped_not_chunked(folder: Path, fake_settings: Settings) -> None:
    (folder / "base64.txt").write_text("Data Terbuka\n\nBerkas lampiran berikut.\n" + "QUJD" * 50_000 + "\nSelesai.\n")
    (folder / "hanya-blob.txt").write_text("A" * 300_000)
    report = _ingest(fake_settings)
    assert report.added == ("baik.txt", "base64.txt") and report.total_chunks <= 4
    assert "run(s) of over 1000 characters" in {s.source: s.reason for s in report.notes}["base64.txt"]
    assert "no readable text" in reasons(report)["hanya-blob.txt"]


def test_top_k_is_capped_with_a_clear_message(folder: Path, fake_settings: Settings) -> None:
    _ingest(fake_settings)
    index = load_index(fake_settings.index_dir, settings=fake_settings)
    for top_k in (101, 10**9, 0):
        with pytest.raises(QueryError, match="between 1 and 100"):
            index.search("layanan", top_k=top_k)
        with pytest.raises(QueryError, match="between 1 and 100"):
            index.ask("layanan", top_k=top_k)
    assert len(index.search("layanan", top_k=100)) == 1
    result = CliRunner().invoke(main, ["ask", "layanan", "-k", "1000000", "--index", str(fake_settings.index_dir)])
    assert result.exit_code == 2 and "1<=x<=100" in result.output


def test_an_ingest_started_during_another_is_refused_before_it_reads_anything(
    folder: Path, fake_settings: Settings
) -> None:
    import threading

    from egov_qa import EgovQAError, Manifest, register_embedder
    from egov_qa.embedding import FakeEmbedder

    class Blocking(FakeEmbedder):
        def __init__(self, gate: threading.Event, entered: threading.Event) -> None:
            self.gate, self.entered = gate, entered

        def embed_passages(self, texts, *, progress=None):  # noqa: ANN001, ANN202
            self.entered.set()
            self.gate.wait(20)
            return super().embed_passages(texts, progress=progress)

    _ingest(fake_settings)  # generation 1
    (folder / "baru.txt").write_text("Satu Data Indonesia\n\nData terbuka pemerintah.\n", encoding="utf-8")
    b_gate, b_embedding = threading.Event(), threading.Event()
    b = threading.Thread(
        target=build_index,
        args=(folder, fake_settings.index_dir),
        kwargs={"settings": fake_settings, "embedder": Blocking(b_gate, b_embedding)},
    )
    b.start()
    assert b_embedding.wait(20)  # B holds the lock, embedding
    a_loading = threading.Event()
    register_embedder("slow-load", lambda: a_loading.set() or FakeEmbedder())  # type: ignore[func-returns-value]
    try:
        with pytest.raises(EgovQAError, match="Another ingest is writing"):
            build_index(folder, fake_settings.index_dir, settings=fake_settings, model="slow-load")
    finally:
        register_embedder("slow-load", None)
        b_gate.set()
        b.join(20)
    assert not a_loading.is_set(), "the second ingest went on to load its model before it had the lock"
    manifest = Manifest.read(fake_settings.index_dir)
    assert manifest.generation == 2 and (fake_settings.index_dir / manifest.vectors_file).is_file()
    assert "baru.txt" in load_index(fake_settings.index_dir, settings=fake_settings).document_ids()


def _advice(message: str, corpus: Path) -> list[str]:
    """The egov-qa command an error message advises, with its CORPUS placeholder filled in."""
    import shlex

    command = message[message.index("egov-qa ingest ") + len("egov-qa ") :]
    return [str(corpus) if word in ("CORPUS", "corpus/") else word for word in shlex.split(command)]


@pytest.mark.parametrize(
    "damage",
    [
        lambda ix, m: (ix / m.vectors_file).write_bytes(b"not faiss"),
        lambda ix, m: (ix / m.store_file).unlink(),
        lambda ix, m: (ix / "manifest.json").write_text("{ half a manifest"),
        lambda ix, m: (ix / "manifest.json").write_text('{"format_version": 1, "generation": "x"}'),
    ],
    ids=["vectors-corrupt", "store-missing", "manifest-not-json", "manifest-bad-generation"],
)
def test_the_advice_for_a_damaged_index_works_when_run(folder: Path, fake_settings: Settings, damage) -> None:  # noqa: ANN001
    from egov_qa import EgovQAError, Manifest

    _ingest(fake_settings)
    ix = fake_settings.index_dir
    damage(ix, Manifest.read(ix))
    with pytest.raises(EgovQAError) as err:
        load_index(ix, settings=fake_settings)
    advice = _advice(str(err.value), folder)
    assert advice[-1] == "--full"
    result = CliRunner().invoke(main, advice, env={"EGOV_QA_MODEL": "fake"})
    assert result.exit_code == 0, result.output
    assert load_index(ix, settings=fake_settings).document_ids() == ["baik.txt"]


def test_the_advice_for_another_model_and_a_missing_index_works_when_run(
    folder: Path, fake_settings: Settings, use_embedder
) -> None:  # noqa: ANN001
    from egov_qa import IndexMismatchError, IndexNotFoundError
    from egov_qa.embedding import FakeEmbedder

    with pytest.raises(IndexNotFoundError) as missing:
        load_index(fake_settings.index_dir, settings=fake_settings)
    assert CliRunner().invoke(main, _advice(str(missing.value), folder), env={"EGOV_QA_MODEL": "fake"}).exit_code == 0

    class Other(FakeEmbedder):
        name = "other-fake"

        def fingerprint(self) -> str:
            return "other-weights"

    use_embedder(Other())
    with pytest.raises(IndexMismatchError) as err:
        load_index(fake_settings.index_dir, model="other-fake")
    result = CliRunner().invoke(main, _advice(str(err.value), folder))
    assert result.exit_code == 0, result.output
    assert load_index(fake_settings.index_dir, model="other-fake").manifest.model.name == "other-fake"


def test_the_app_rebuilds_a_damaged_index_from_scratch(folder: Path, fake_settings: Settings) -> None:
    from streamlit.testing.v1 import AppTest

    from egov_qa import Manifest

    from .conftest import ROOT

    _ingest(fake_settings)
    (fake_settings.index_dir / Manifest.read(fake_settings.index_dir).vectors_file).write_bytes(b"rusak")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.sidebar.radio(key="page").set_value("corpus").run()
    assert any("&#45;&#45;full" in i.value for i in at.info)  # the advice, escaped for Markdown
    next(b for b in at.button if b.label == "Bangun ulang indeks dari awal").click().run()
    assert not at.exception
    assert load_index(fake_settings.index_dir, settings=fake_settings).document_ids() == ["baik.txt"]


def test_a_symlink_loop_is_skipped_and_never_stops_the_ingest(folder: Path, fake_settings: Settings) -> None:
    (folder / "putar1.txt").symlink_to(folder / "putar2.txt")
    (folder / "putar2.txt").symlink_to(folder / "putar1.txt")
    (folder / "hilang.txt").symlink_to(folder / "tidak-ada.txt")
    report = _ingest(fake_settings)
    assert report.added == ("baik.txt",)
    assert {k: "in a circle" in v for k, v in reasons(report).items()} == {
        "putar1.txt": True, "putar2.txt": True, "hilang.txt": True
    }  # fmt: skip
    with pytest.raises(CorpusError, match="already exists"):
        Corpus(fake_settings).add_file("putar1.txt", GOOD.encode(), update=False)
    Corpus(fake_settings).add_file("putar1.txt", GOOD.encode(), overwrite=True, update=False)
    assert (folder / "putar1.txt").is_file() and not (folder / "putar1.txt").is_symlink()


def test_an_upload_is_never_written_through_a_link(folder: Path, fake_settings: Settings, tmp_path: Path) -> None:
    victim = tmp_path / "korban.txt"
    victim.write_text("asli\n")
    (folder / ".unggah.txt.part").symlink_to(victim)  # a trap left in the folder
    (folder / "tautan.txt").symlink_to(victim)
    corpus = Corpus(fake_settings)
    corpus.add_file("unggah.txt", GOOD.encode(), update=False)
    corpus.add_file("tautan.txt", GOOD.encode(), overwrite=True, update=False)
    assert victim.read_text() == "asli\n"
    assert (folder / "unggah.txt").read_text() == GOOD and not (folder / "tautan.txt").is_symlink()


def test_deeply_nested_front_matter_is_refused_before_parsing(fake_settings: Settings) -> None:
    nested = "---\nx: " + "[" * 8000 + "]" * 8000 + "\n---\nIsi berita.\n"
    started = time.monotonic()
    with pytest.raises(CorpusError, match="nested over 20 levels"):
        check_file("dalam.md", nested.encode())
    assert time.monotonic() - started < 1
    crlf = "---\r\ntitle: Judul CRLF\r\nsource: Dinas\r\n---\r\nIsi berita tentang layanan.\r\n"
    fake_settings.corpus_dir.mkdir(parents=True)
    (fake_settings.corpus_dir / "crlf.md").write_bytes(crlf.encode())
    _ingest(fake_settings)
    doc = load_index(fake_settings.index_dir, settings=fake_settings).document("crlf.md")
    assert doc is not None and doc.title == "Judul CRLF" and doc.metadata["source"] == "Dinas"


def test_top_k_must_be_a_whole_number(folder: Path, fake_settings: Settings) -> None:
    _ingest(fake_settings)
    index = load_index(fake_settings.index_dir, settings=fake_settings)
    for top_k in (2.5, float("nan"), float("inf"), True):
        with pytest.raises(QueryError, match="between 1 and 100"):
            index.search("layanan", top_k=top_k)  # type: ignore[arg-type]
