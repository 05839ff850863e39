"""Indonesian sentence splitting, headings and chunking."""

from __future__ import annotations

import pytest

from egov_qa.chunking import ChunkParams, chunk_document, split_sentences
from egov_qa.records import Document

from .conftest import ROOT, SEED


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Aturan ini tertuang dalam UU No. 25 Tahun 2009 tentang Pelayanan Publik. Undang-undang itu berlaku sejak diundangkan.",
            [
                "Aturan ini tertuang dalam UU No. 25 Tahun 2009 tentang Pelayanan Publik.",
                "Undang-undang itu berlaku sejak diundangkan.",
            ],
        ),
        (
            "Layanan mencakup KTP, KK, akta, dll. Semua dapat diurus daring.",
            ["Layanan mencakup KTP, KK, akta, dll.", "Semua dapat diurus daring."],
        ),
        (
            "Seminar dibuka oleh Prof. Dr. Budi Santoso, S.H. dari Universitas Indonesia. Ia menyoroti SPBE.",
            ["Seminar dibuka oleh Prof. Dr. Budi Santoso, S.H. dari Universitas Indonesia.", "Ia menyoroti SPBE."],
        ),
        (
            "Anggaran program mencapai Rp1.000.000.000 pada 19-11-2024. Realisasinya naik 3,5 persen. Laporan dikirim a.n. Kepala Dinas u.p. Sekretaris.",
            [
                "Anggaran program mencapai Rp1.000.000.000 pada 19-11-2024.",
                "Realisasinya naik 3,5 persen.",
                "Laporan dikirim a.n. Kepala Dinas u.p. Sekretaris.",
            ],
        ),
        (
            'Menteri berkata, "Semua layanan harus digital." Pemerintah daerah menyambut baik.',
            ['Menteri berkata, "Semua layanan harus digital."', "Pemerintah daerah menyambut baik."],
        ),
        (
            "Saham PT Telkom Indonesia Tbk. naik pada perdagangan hari ini. Apakah layanan sudah siap? Ya, sudah!",
            [
                "Saham PT Telkom Indonesia Tbk. naik pada perdagangan hari ini.",
                "Apakah layanan sudah siap?",
                "Ya, sudah!",
            ],
        ),
        (
            "Data dihimpun dari kecamatan, desa, dsb. dan diolah oleh dinas. Hasilnya diumumkan.",
            ["Data dihimpun dari kecamatan, desa, dsb. dan diolah oleh dinas.", "Hasilnya diumumkan."],
        ),
    ],
)
def test_splitter_keeps_indonesian_abbreviations_numbers_and_quotes(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_numbered_and_lettered_lists_split_per_item_and_keep_their_markers() -> None:
    text = (
        "Dalam Undang-Undang ini yang dimaksud dengan:\n"
        "1. Pelayanan publik adalah kegiatan dalam rangka pemenuhan kebutuhan pelayanan.\n"
        "2. Penyelenggara pelayanan publik adalah setiap institusi penyelenggara negara.\n"
        "a. bahwa negara berkewajiban melayani setiap warga negara;\n"
        "b. bahwa sesuai dengan amanat Undang-Undang Dasar;"
    )
    assert sentences(text) == [
        "Dalam Undang-Undang ini yang dimaksud dengan:",
        "1. Pelayanan publik adalah kegiatan dalam rangka pemenuhan kebutuhan pelayanan.",
        "2. Penyelenggara pelayanan publik adalah setiap institusi penyelenggara negara.",
        "a. bahwa negara berkewajiban melayani setiap warga negara;",
        "b. bahwa sesuai dengan amanat Undang-Undang Dasar;",
    ]


def test_wrapped_pdf_lines_join_into_one_sentence() -> None:
    text = "Pelayanan publik adalah kegiatan atau rangkaian kegiatan\ndalam rangka pemenuhan kebutuhan pelayanan\nsesuai dengan peraturan. Pasal ini jelas."
    got = sentences(text)
    assert len(got) == 2
    assert got[0].startswith("Pelayanan publik") and got[0].endswith("sesuai dengan peraturan.")


def test_headings_travel_with_the_text_under_them_and_are_not_sentences() -> None:
    text = "Potensi Inovasi\n\nTerdapat potensi besar. Data besar dimanfaatkan.\n\nRekomendasi Kebijakan\n\nBerikut rekomendasinya:\n\nPenyederhanaan regulasi\n\nMereformasi regulasi yang menghambat."
    got = split_sentences(text)
    assert [(text[s.start : s.end], s.heading) for s in got] == [
        ("Terdapat potensi besar.", "Potensi Inovasi"),
        ("Data besar dimanfaatkan.", "Potensi Inovasi"),
        ("Berikut rekomendasinya:", "Rekomendasi Kebijakan"),
        ("Mereformasi regulasi yang menghambat.", "Penyederhanaan regulasi"),
    ]


def test_consecutive_heading_lines_join_regulation_structure() -> None:
    text = "BAB I\nKETENTUAN UMUM\nPasal 1\nDalam Undang-Undang ini yang dimaksud dengan pelayanan publik."
    (only,) = split_sentences(text)
    assert only.heading == "BAB I · KETENTUAN UMUM · Pasal 1"


def words(texts: list[str] | tuple[str, ...]) -> list[int]:
    return [len(t.split()) for t in texts]


def test_chunks_fit_the_budget_overlap_by_a_sentence_and_point_into_the_document() -> None:
    body = " ".join(f"Kalimat nomor {i} membahas layanan publik digital di daerah." for i in range(40))
    doc = Document("d.txt", body, title="Uji")
    chunks = chunk_document(doc, words, ChunkParams(max_tokens=40, overlap_sentences=1))
    assert len(chunks) > 5
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert sum(words([c.text[s:e] for s, e in c.sentences])) <= 40
        assert all(c.text[s:e].startswith("Kalimat") for s, e in c.sentences)
    for a, b in zip(chunks, chunks[1:], strict=False):
        last = a.text[a.sentences[-1][0] : a.sentences[-1][1]]
        assert b.text.startswith(last), "consecutive chunks share one whole sentence"
    assert chunks[-1].end == len(body)


def test_a_sentence_longer_than_the_budget_is_cut_at_spaces() -> None:
    doc = Document("long.txt", " ".join(["kata"] * 100) + ".")
    chunks = chunk_document(doc, words, ChunkParams(max_tokens=30, overlap_sentences=0))
    assert len(chunks) >= 4
    assert all(len(c.text.split()) <= 30 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == doc.text.split()


def test_pdf_page_numbers_follow_chunk_starts() -> None:
    pages = ["Halaman satu berisi ketentuan umum.", "Halaman dua berisi hak warga.", "Halaman tiga berisi sanksi."]
    text = "\n\n".join(pages)
    starts = (0, len(pages[0]) + 2, len(pages[0]) + len(pages[1]) + 4)
    doc = Document("p.pdf", text, pages=starts)
    chunks = chunk_document(doc, words, ChunkParams(max_tokens=6, overlap_sentences=0))
    assert [c.page for c in chunks] == [1, 2, 3]


def test_seed_article_chunks_cover_every_sentence_with_its_heading() -> None:
    from egov_qa.corpus.text import text_document

    doc = text_document("seed.txt", SEED.read_text(encoding="utf-8"))
    chunks = chunk_document(doc, words, ChunkParams(max_tokens=80))
    covered = "".join(c.text for c in chunks)
    assert "Kesenjangan digital, keterbatasan infrastruktur" in covered
    headings = {c.heading for c in chunks}
    assert "KESIMPULAN" in headings
    sents = split_sentences(doc.text)
    assert all(doc.text[s.start : s.end] not in {"Potensi Inovasi", "Rekomendasi Kebijakan"} for s in sents)


def test_an_article_keeps_its_chapter_and_part_headings() -> None:
    text = (
        "BAB II\n\nMAKSUD DAN TUJUAN\n\nBagian Kesatu\nMaksud\n\nPasal 2\n\n"
        "Undang-undang ini dimaksudkan untuk memberikan kepastian hukum.\n\nPasal 3\n\n"
        "Tujuan undang-undang ini adalah terwujudnya pelayanan yang baik.\n\nBAB III\nPEMBINA\n\nPasal 4\n"
        "Pembina adalah pimpinan lembaga."
    )
    got = [s.heading for s in split_sentences(text)]
    assert got == [
        "BAB II · MAKSUD DAN TUJUAN · Bagian Kesatu · Maksud · Pasal 2",
        "BAB II · MAKSUD DAN TUJUAN · Bagian Kesatu · Maksud · Pasal 3",
        "BAB III · PEMBINA · Pasal 4",
    ]


def test_tables_and_heading_only_texts_are_not_lost() -> None:
    table = "| Layanan | Waktu |\n| KK | 1 hari |"
    assert sentences(table) == ["| Layanan | Waktu |\n| KK | 1 hari |"]
    outline = "Arsitektur SPBE\nTata Kelola SPBE\nLayanan SPBE"
    assert sentences(outline) == ["Arsitektur SPBE", "Tata Kelola SPBE", "Layanan SPBE"]


_REGULATION = """PERATURAN PRESIDEN REPUBLIK INDONESIA
NOMOR 95 TAHUN 2018
TENTANG
SISTEM PEMERINTAHAN BERBASIS ELEKTRONIK

DENGAN RAHMAT TUHAN YANG MAHA ESA

PRESIDEN REPUBLIK INDONESIA,

Menimbang : a. bahwa untuk mewujudkan tata kelola pemerintahan yang bersih diperlukan SPBE;
b. bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam huruf a, perlu menetapkan Peraturan Presiden;
Mengingat : Pasal 4 ayat (1) Undang-Undang Dasar Negara Republik Indonesia Tahun 1945;

MEMUTUSKAN:
Menetapkan : PERATURAN PRESIDEN TENTANG SISTEM PEMERINTAHAN BERBASIS ELEKTRONIK.

BAB I
KETENTUAN UMUM

Pasal 1
Dalam Peraturan Presiden ini yang dimaksud dengan:
1. Sistem Pemerintahan Berbasis Elektronik yang selanjutnya disingkat SPBE adalah penyelenggaraan
pemerintahan yang memanfaatkan teknologi informasi dan komunikasi.
2. Arsitektur SPBE adalah kerangka dasar yang mendeskripsikan integrasi proses bisnis.

Pasa1 2
(1) Tata Kelola SPBE bertujuan untuk memastikan penerapan unsur SPBE secara terpadu.
(2) Unsur SPBE sebagaimana dimaksud pada ayat
(1) meliputi:
a. Rencana Induk SPBE Nasional;
b. Arsitektur SPBE; dan
c. Peta Rencana SPBE.

Pasal42
Menteri melakukan pemantauan dan evaluasi SPBE.

Ditetapkan di Jakarta
pada tanggal 2 Oktober 2018

PENJELASAN
ATAS
PERATURAN PRESIDEN REPUBLIK INDONESIA
NOMOR 95 TAHUN 2018

I. UMUM
SPBE diperlukan untuk pelayanan publik yang berkualitas.

II. PASAL DEMI PASAL
Pasal 1
Cukup jelas.
Pasal 2
Ayat (1)
Yang dimaksud dengan unsur SPBE adalah komponen yang saling terkait.
"""
# the cut of _REGULATION and the shipped corpus under SPLITTER_VERSION: a change to either is a new version
SPLITTER_FINGERPRINTS = {3: "d0d2c3866a75cf7f"}


def test_a_change_to_the_cut_comes_with_a_new_splitter_version() -> None:
    import hashlib
    import json

    from egov_qa.chunking import SPLITTER_VERSION
    from egov_qa.corpus import read_corpus
    from egov_qa.regulation.chunks import chunk_with_structure

    docs = [Document("reg.txt", _REGULATION), *read_corpus(ROOT / "corpus").documents]
    cut = []
    for doc in docs:
        chunks, _ = chunk_with_structure(doc, lambda texts: [len(t.split()) + 2 for t in texts], ChunkParams())
        cut += [[c.start, c.end, c.heading, c.sentences, c.location.as_json() if c.location else None] for c in chunks]
    digest = hashlib.sha256(json.dumps(cut, sort_keys=True).encode()).hexdigest()[:16]
    assert SPLITTER_FINGERPRINTS.get(SPLITTER_VERSION) == digest, (
        f"documents are cut differently ({digest}): bump SPLITTER_VERSION in chunking.py, so that indexes "
        "built by the older version are cut again, and record the new fingerprint here"
    )
