"""Adding and removing corpus files: safe names, refusals with reasons, fetched pages, the Corpus API."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from egov_qa import Corpus, CorpusError, Settings, load_index
from egov_qa.manage import check_file, fetch_page, remove_file, safe_name, save_file

ARTICLE = b"---\ntitle: Catatan\n---\nMal pelayanan publik menyatukan layanan perizinan dan kependudukan.\n"


def test_safe_names() -> None:
    assert safe_name("Laporan SPBE 2024 (final).PDF") == "Laporan-SPBE-2024-final.pdf"
    assert safe_name("C:\\\\Users\\\\x\\\\berita.md") == "berita.md"
    with pytest.raises(CorpusError, match="unsupported file type .exe"):
        safe_name("setup.exe")
    with pytest.raises(CorpusError, match="no usable file name"):
        safe_name("((()).txt")


def test_add_saves_inside_the_corpus_and_never_overwrites_silently(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    saved = save_file(corpus, "catatan mal.md", ARTICLE)
    assert saved == (corpus / "catatan-mal.md").resolve() and saved.read_bytes() == ARTICLE
    with pytest.raises(CorpusError, match="already exists"):
        save_file(corpus, "catatan mal.md", b"lain")
    assert saved.read_bytes() == ARTICLE
    save_file(corpus, "catatan mal.md", ARTICLE + b"Tambahan kalimat.\n", overwrite=True)
    assert saved.read_bytes().endswith(b"Tambahan kalimat.\n")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("../../etc/evil.txt", b"teks biasa", "cannot contain folders"),
        ("sub/dir.md", b"teks biasa", "cannot contain folders"),
        (".hidden.md", b"teks biasa", "start with a dot"),
        ("gambar.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("palsu.pdf", b"bukan pdf sama sekali", "not a PDF"),
        ("kosong.md", b"", "empty"),
        ("rusak.jsonl", b'{"id": 1, "text": \n', "no document|JSON"),
        ("besar.txt", b"a" * 2048, "over the"),
    ],
)
def test_bad_files_are_refused_with_the_reason_and_nothing_is_written(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with pytest.raises(CorpusError, match=reason):
        save_file(corpus, name, data, max_bytes=1024)
    assert list(corpus.iterdir()) == []
    assert not (tmp_path / "etc").exists()


def test_check_counts_the_documents_of_a_jsonl(tmp_path: Path) -> None:
    data = b'{"id": "a", "text": "Satu Data Indonesia."}\n{"id": "b", "text": "Data terbuka."}\n'
    assert check_file("dua.jsonl", data) == 2


def test_remove_deletes_the_file_and_refuses_paths_outside(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    save_file(corpus, "a.md", ARTICLE)
    (tmp_path / "outside.md").write_bytes(ARTICLE)
    with pytest.raises(CorpusError, match="not a file of the corpus"):
        remove_file(corpus, "../outside.md")
    with pytest.raises(CorpusError, match="No file"):
        remove_file(corpus, "missing.md")
    remove_file(corpus, "a.md")
    assert not (corpus / "a.md").exists() and (tmp_path / "outside.md").exists()


LOOPBACK = ("127.0.0.1",)  # the test servers run on loopback, which a fetch refuses unless allowed


def test_a_fetched_page_becomes_markdown_with_its_main_text(local_site: str, tmp_path: Path) -> None:
    name, data = fetch_page(f"{local_site}/berita/mpp-digital", allowed_hosts=LOOPBACK)
    text = data.decode()
    assert name == "Mal-Pelayanan-Publik-Digital.md"
    assert "title: Mal Pelayanan Publik Digital" in text and f"url: {local_site}/berita/mpp-digital" in text
    assert "menyatukan layanan dari berbagai instansi" in text
    assert "Beranda" not in text and "Hak cipta" not in text  # navigation and footer dropped
    assert save_file(tmp_path / "c", name, data).is_file()
    with pytest.raises(CorpusError, match="Could not fetch"):
        fetch_page(f"{local_site}/hilang", allowed_hosts=LOOPBACK)
    with pytest.raises(CorpusError, match="only http and https"):
        fetch_page("file:///etc/passwd")


def test_corpus_operations_save_then_update_the_index(fake_settings: Settings) -> None:
    corpus = Corpus(fake_settings)
    report = corpus.add_file("catatan mal.md", ARTICLE)
    assert report.saved == ("catatan-mal.md",) and report.replaced == ()
    assert report.ingest is not None and report.ingest.added == ("catatan-mal.md",)
    index = load_index(fake_settings.index_dir, settings=fake_settings)
    assert index.document_ids() == ["catatan-mal.md"]
    report = corpus.add_files([("baru.md", ARTICLE + b"Baru.\n"), ("catatan mal.md", b"lain"), ("x.exe", b"MZ")])
    assert report.saved == ("baru.md",) and [r.source for r in report.refused] == ["catatan mal.md", "x.exe"]
    assert "already exists" in report.refused[0].reason and report.ingest is not None
    assert report.ingest.added == ("baru.md",)
    report = corpus.add_file("catatan mal.md", ARTICLE + b"Ganti.\n", overwrite=True)
    assert report.replaced == ("catatan-mal.md",) and report.ingest is not None
    assert report.ingest.updated == ("catatan-mal.md",)
    report = corpus.remove("baru.md")
    assert report.removed == ("baru.md",) and report.ingest is not None and report.ingest.removed == ("baru.md",)
    assert not (fake_settings.corpus_dir / "baru.md").exists()


def test_a_batch_with_nothing_saved_does_not_touch_the_index(fake_settings: Settings) -> None:
    report = Corpus(fake_settings).add_files([("x.exe", b"MZ")])
    assert report.saved == () and report.ingest is None and not fake_settings.index_dir.exists()


def test_a_fetched_url_follows_the_same_overwrite_rule_as_a_file(fake_settings: Settings, local_site: str) -> None:
    corpus = Corpus(replace(fake_settings, allowed_hosts=LOOPBACK))
    url = f"{local_site}/berita/mpp-digital"
    first = corpus.add_url(url, update=False)
    assert first.ingest is None and len(first.saved) == 1
    with pytest.raises(CorpusError, match="already in the corpus as Mal-Pelayanan-Publik-Digital.md"):
        corpus.add_url(url, update=False)
    again = corpus.add_url(url, overwrite=True, update=False)
    assert again.replaced == first.saved == ("Mal-Pelayanan-Publik-Digital.md",)
    # another page with the same title gets a name of its own, never the first one's file
    other = corpus.add_url(f"{url}?versi=2", update=False)
    assert other.saved == ("Mal-Pelayanan-Publik-Digital-2.md",) and other.replaced == ()
