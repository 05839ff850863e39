"""Lexical analysis: the stemmer's consistency, references, acronyms, hyphenated terms."""

from __future__ import annotations

import pytest

from egov_qa.analysis import analyze, references, stem

FAMILIES = [
    ["terbit", "menerbitkan", "penerbitan", "diterbitkan"],
    ["duduk", "penduduk", "kependudukan"],
    ["layanan", "pelayanan", "melayani"],
    ["izin", "perizinan"],
    ["usaha", "berusaha", "perusahaan"],
    ["pemerintah", "pemerintahan", "memerintahkan"],
    ["penyelenggaraan", "diselenggarakan", "menyelenggarakan"],
    ["beri", "memberikan", "pemberian", "diberikan"],
    ["atur", "peraturan", "mengatur", "diatur"],
    ["daya", "pemberdayaan", "memberdayakan"],
    ["daftar", "terdaftar", "mendaftar", "pendaftaran"],
    ["catat", "pencatatan", "dicatat", "catatan"],
    ["pegawai", "kepegawaian"],
    ["menteri", "kementerian"],
    ["syarat", "persyaratan", "mensyaratkan"],
    # roots whose k melted into meng-/peng-
    ["kelola", "pengelolaan", "dikelola", "mengelola"],
    ["kembang", "pengembangan", "mengembangkan", "berkembang"],
    ["kendali", "pengendalian", "dikendalikan"],
]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f[0])
def test_a_word_family_gets_one_stem(family: list[str]) -> None:
    assert len({stem(w) for w in family}) == 1, {w: stem(w) for w in family}


def test_words_the_rules_would_mangle_are_kept() -> None:
    assert stem("digital") == "digital" and stem("sektor") == "sektor" and stem("data") == "data"


@pytest.mark.parametrize(
    "text",
    [
        "UU No. 25 Tahun 2009",
        "UU 25/2009",
        "Undang-Undang Nomor 25 Tahun 2009 tentang Pelayanan Publik",
        "UNDANG-UNDANG REPUBLIK INDONESIA NOMOR 25 TAHUN 2009",
        "Law No. 25 of 2009 on Public Services",
        "uu nomor 025 tahun 2009",
    ],
)
def test_ways_of_writing_a_reference_become_one_token(text: str) -> None:
    assert [r.token for r in references(text)] == ["uu_25_2009"]
    assert "uu_25_2009" in analyze(text)


def test_reference_types_and_what_is_not_a_reference() -> None:
    assert [r.token for r in references("Perpres 95/2018 dan Peraturan Presiden Nomor 95 Tahun 2018")] == [
        "perpres_95_2018",
        "perpres_95_2018",
    ]
    assert references("Peraturan Menteri Dalam Negeri Nomor 7 Tahun 2019")[0].token == "permen_7_2019"
    assert references("Presidential Regulation No. 95/2018")[0].token == "perpres_95_2018"
    assert references("PP No 71 th 2019")[0].token == "pp_71_2019"
    assert references("pada tahun 2009 sebanyak 25 orang mendaftar") == []
    assert references("undang-undang ini mulai berlaku") == []


def test_acronyms_hyphens_numbers_and_stop_words() -> None:
    terms = analyze("Setiap penduduk memiliki e-KTP dan NIK; KK dicetak di Disdukcapil pada 2024, Pasal 13.")
    assert "ektp" in terms and "ktp" in terms  # e-KTP matches both "e-KTP" and "KTP"
    assert "nik" in terms and "kk" in terms  # two-letter acronyms survive
    assert "2024" in terms and "pasal_13" in terms
    assert "dan" not in terms and "di" not in terms and "pada" not in terms
    assert "duduk" in terms  # penduduk, stemmed
    assert analyze("undang-undang") == ["undang"]  # reduplication folds to its base
    assert analyze("PELAYANAN PUBLIK DI INDONESIA") == ["layan", "publik", "indonesia"]  # caps title
