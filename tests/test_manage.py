"""Adding and removing corpus files: safe names, refusals with reasons, fetched pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from egov_qa.errors import CorpusError
from egov_qa.manage import add_file, check_file, fetch_page, remove_file, safe_name

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
    saved = add_file(corpus, "catatan mal.md", ARTICLE)
    assert saved == (corpus / "catatan-mal.md").resolve() and saved.read_bytes() == ARTICLE
    with pytest.raises(CorpusError, match="already exists"):
        add_file(corpus, "catatan mal.md", b"lain")
    assert saved.read_bytes() == ARTICLE
    add_file(corpus, "catatan mal.md", ARTICLE + b"Tambahan kalimat.\n", overwrite=True)
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
        add_file(corpus, name, data, max_bytes=1024)
    assert list(corpus.iterdir()) == []
    assert not (tmp_path / "etc").exists()


def test_check_counts_the_documents_of_a_jsonl(tmp_path: Path) -> None:
    data = b'{"id": "a", "text": "Satu Data Indonesia."}\n{"id": "b", "text": "Data terbuka."}\n'
    assert check_file("dua.jsonl", data) == 2


def test_remove_deletes_the_file_and_refuses_paths_outside(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    add_file(corpus, "a.md", ARTICLE)
    (tmp_path / "outside.md").write_bytes(ARTICLE)
    with pytest.raises(CorpusError, match="not a file of the corpus"):
        remove_file(corpus, "../outside.md")
    with pytest.raises(CorpusError, match="No file"):
        remove_file(corpus, "missing.md")
    remove_file(corpus, "a.md")
    assert not (corpus / "a.md").exists() and (tmp_path / "outside.md").exists()


def test_a_fetched_page_becomes_markdown_with_its_main_text(local_site: str, tmp_path: Path) -> None:
    name, data = fetch_page(f"{local_site}/berita/mpp-digital")
    text = data.decode()
    assert name.endswith("berita-mpp-digital.md")
    assert "title: Mal Pelayanan Publik Digital" in text and f"url: {local_site}/berita/mpp-digital" in text
    assert "menyatukan layanan dari berbagai instansi" in text
    assert "Beranda" not in text and "Hak cipta" not in text  # navigation and footer dropped
    assert add_file(tmp_path / "c", name, data).is_file()
    with pytest.raises(CorpusError, match="Could not fetch"):
        fetch_page(f"{local_site}/hilang")
    with pytest.raises(CorpusError, match="not an http"):
        fetch_page("file:///etc/passwd")
