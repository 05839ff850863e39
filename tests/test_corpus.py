"""Reading and cleaning corpus files, and skipping bad ones with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egov_qa.corpus import MAX_FILE_BYTES, CorpusRead, read_corpus, read_file
from egov_qa.corpus.clean import clean_news, clean_pages, parse_date_line
from egov_qa.corpus.text import text_document

from .conftest import SEED, shared


def test_seed_article_is_cleaned_into_text_and_metadata() -> None:
    doc = text_document("seed.txt", SEED.read_text(encoding="utf-8"))
    assert doc.title.startswith("E-Government di Indonesia: Memetakan Inovasi")
    assert doc.metadata == {"date": "2024-11-19", "reporter": "Febri Yanto", "editor": "Jal"}
    assert "BACA JUGA" not in doc.text
    assert "Reporter" not in doc.text and "Kategori" not in doc.text and "WIB" not in doc.text
    assert doc.text.startswith("Kompleksitas prosedur administrasi")
    assert doc.text.rstrip().endswith("sangat diperlukan.")


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Selasa 19-11-2024,11:25 WIB", "2024-11-19"),
        ("Kamis, 7 Maret 2024 | 09:15 WIB", "2024-03-07"),
        ("19/11/2024", "2024-11-19"),
        ("Pada 19-11-2024 rapat digelar di kantor bupati.", None),
        ("32-13-2024", None),
    ],
)
def test_datelines(line: str, iso: str | None) -> None:
    assert parse_date_line(line) == iso


def test_bylines_lift_into_metadata_and_empty_ones_vanish() -> None:
    text, meta = clean_news("Penulis : Sari\nKategori : Teknologi\nSumber :\nIsi berita.\nBaca juga: Berita lain")
    assert meta == {"author": "Sari", "category": "Teknologi"}
    assert text == "Isi berita."


def test_repeated_pdf_headers_footers_and_page_numbers_are_dropped() -> None:
    bodies = [
        "Ketentuan umum.",
        "Hak warga negara.",
        "Kewajiban penyelenggara layanan.",
        "Sanksi administratif.",
        "Penutup.",
    ]
    pages = [
        f"PRESIDEN REPUBLIK INDONESIA\n\n- {i} -\n\nPasal {i}\n{body}\n\nb. bahwa . . ."
        for i, body in enumerate(bodies, 1)
    ]
    cleaned = clean_pages(pages)
    assert all("PRESIDEN" not in p and f"- {i} -" not in p for i, p in enumerate(cleaned, 1))
    assert all(". . ." not in p for p in cleaned)
    assert cleaned[2] == "Pasal 3\nKewajiban penyelenggara layanan."


def test_corpus_folder_reads_every_format_and_reports_bad_lines(corpus: Path) -> None:
    read = read_corpus(corpus)
    by_id = {d.doc_id: d for d in read.documents}
    assert set(by_id) >= {"spbe.md", "oss.html", "adminduk.jsonl#ektp", "adminduk.jsonl#satu-data"}
    spbe = by_id["spbe.md"]
    assert spbe.title == "Sistem Pemerintahan Berbasis Elektronik (SPBE)"
    assert spbe.metadata["category"] == "SPBE" and spbe.metadata["source"] == "Catatan tim egov-qa"
    assert "#" not in spbe.text and "Arsitektur SPBE" in spbe.text
    oss = by_id["oss.html"]
    assert oss.title == "Perizinan Berusaha Lewat OSS" and oss.metadata["date"] == "2024-03-14"
    assert "Online Single Submission" in oss.text
    assert "BACA JUGA" not in oss.text and "Beranda" not in oss.text and "Hak cipta" not in oss.text
    assert by_id["adminduk.jsonl#ektp"].metadata == {"category": "Adminduk", "date": "2022-08-01"}
    assert by_id["adminduk.jsonl#satu-data"].metadata == {"source": "catatan tim"}
    reasons = {s.source: s.reason for s in read.skipped}
    assert reasons["adminduk.jsonl:3"].startswith("malformed JSON")
    assert "no 'text'" in reasons["adminduk.jsonl:4"]
    assert len({d.doc_id for d in read.documents}) == len(read.documents)


def test_content_hash_is_stable_and_follows_the_text(corpus: Path) -> None:
    first = {d.doc_id: d.content_hash for d in read_corpus(corpus).documents}
    again = {d.doc_id: d.content_hash for d in read_corpus(corpus).documents}
    assert first == again
    (corpus / "spbe.md").write_text((corpus / "spbe.md").read_text() + "\nKalimat baru.\n", encoding="utf-8")
    changed = {d.doc_id: d.content_hash for d in read_corpus(corpus).documents}
    assert changed["spbe.md"] != first["spbe.md"]
    assert changed["oss.html"] == first["oss.html"]


def _skip_reason(folder: Path, name: str) -> str:
    read = read_corpus(folder)
    reasons = {s.source: s.reason for s in read.skipped}
    assert name in reasons, f"{name} was not skipped: {read.documents}"
    assert name not in {d.doc_id for d in read.documents}
    return reasons[name]


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "ok.txt").write_text("Judul\n\nIsi dokumen yang baik.", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text("---\ntitle: Kosong\n---\n\n   \n", encoding="utf-8")
    with open(folder / "huge.txt", "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    (folder / "broken.html").write_text("<html><body><div><p>", encoding="utf-8")
    (folder / "fake.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (folder / "dangling.txt").symlink_to(folder / "missing-target.txt")
    (folder / "badyaml.md").write_text("---\ntitle: [unclosed\n---\nIsi.", encoding="utf-8")
    assert "binary" in _skip_reason(folder, "binary.txt")
    assert "empty" in _skip_reason(folder, "empty.txt")
    assert "no text" in _skip_reason(folder, "blank.md")
    assert "over the 50 MB limit" in _skip_reason(folder, "huge.txt")
    assert "no main text" in _skip_reason(folder, "broken.html")
    assert "PDF" in _skip_reason(folder, "fake.pdf")
    assert "leads nowhere" in _skip_reason(folder, "dangling.txt")
    assert "front matter" in _skip_reason(folder, "badyaml.md")
    assert [d.doc_id for d in read_corpus(folder).documents] == ["ok.txt"]


def test_pdf_without_a_text_layer_is_skipped(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    folder = tmp_path / "scan"
    folder.mkdir()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    with open(folder / "scan.pdf", "wb") as fh:
        writer.write(fh)
    assert "no text layer" in _skip_reason(folder, "scan.pdf")


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_non_utf8_text_is_decoded_with_a_note(tmp_path: Path, encoding: str) -> None:
    folder = tmp_path / "enc"
    folder.mkdir()
    text = (
        "Pelayanan Publik\n\nWarga menilai layanan “cukup baik” — kata Andrés di Sulawesi."
        if encoding == "cp1252"
        else ("Pelayanan Publik\n\nWarga menilai layanan cukup baik, kata André di Sulawesi.")
    )
    (folder / "legacy.txt").write_bytes(text.encode(encoding))
    read = read_corpus(folder)
    (doc,) = read.documents
    assert "Andr" in doc.text and "é" in doc.text
    (note,) = read.notes
    assert note.source == "legacy.txt" and "not UTF-8" in note.reason


def test_real_regulation_pdf_keeps_pages_and_drops_running_headers() -> None:
    pdf = shared("regulations_id", "pdf_core_egov", "UU-2009-025-PELAYANAN-PUBLIK.pdf")
    read = CorpusRead()
    read_file(pdf, pdf.parent, read)
    (doc,) = read.documents
    assert doc.metadata["pages"] == len(doc.pages) == 77
    assert list(doc.pages) == sorted(doc.pages) and doc.pages[0] == 0
    assert "Pelayanan publik adalah kegiatan atau rangkaian kegiatan" in " ".join(doc.text.split())
    assert ". . ." not in doc.text
    assert doc.text.count("PRESIDEN REPUBLIK INDONESIA") < 5, "running page header removed"


def test_jsonl_pages_field_reads_like_a_pdf(tmp_path: Path) -> None:
    folder = tmp_path / "j"
    folder.mkdir()
    rows = [
        {"doc_id": "PP-1", "title": "PP Satu", "year": 2012, "pages": ["Pasal 1\nIsi pertama.", "Pasal 2\nIsi kedua."]}
    ]
    (folder / "regs.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    (doc,) = read_corpus(folder).documents
    assert doc.doc_id == "regs.jsonl#PP-1" and doc.metadata["year"] == 2012 and len(doc.pages) == 2
    assert doc.text[doc.pages[1] :].startswith("Pasal 2")
