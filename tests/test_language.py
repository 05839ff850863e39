"""Query language detection: restricted to Indonesian and English, deterministic."""

from __future__ import annotations

import pytest

from egov_qa.language import detect_language

from .conftest import shared


@pytest.mark.parametrize(
    ("query", "lang"),
    [
        ("Apa hambatan utama e-government di Indonesia?", "id"),
        ("What are the main obstacles to e-government in Indonesia?", "en"),
        ("syarat membuat e-KTP", "id"),
        ("digital divide", "en"),
        ("kesenjangan digital", "id"),
        ("open data policy Indonesia", "en"),
        ("Satu Data Indonesia", "id"),
        ("e-KTP", "id"),
        ("UU 25/2009", "id"),
        ("How do I file a complaint about a public service?", "en"),
        ("Bagaimana cara mengadukan pelayanan publik yang buruk?", "id"),
    ],
)
def test_short_and_long_queries(query: str, lang: str) -> None:
    assert detect_language(query) == lang


def test_detection_is_deterministic() -> None:
    q = "layanan data pemerintah"
    assert len({detect_language(q) for _ in range(20)}) == 1


def test_tatoeba_sentences_are_labelled_correctly() -> None:
    folder = shared("tatoeba_ind_eng")
    eng = (folder / "tatoeba.ind-eng.eng").read_text(encoding="utf-8").splitlines()[:300]
    ind = (folder / "tatoeba.ind-eng.ind").read_text(encoding="utf-8").splitlines()[:300]
    en_ok = sum(detect_language(s) == "en" for s in eng) / len(eng)
    id_ok = sum(detect_language(s) == "id" for s in ind) / len(ind)
    assert en_ok >= 0.97 and id_ok >= 0.97, (en_ok, id_ok)


def test_an_indonesian_question_word_first_outweighs_english_names() -> None:
    for question in (
        "Dimana letak Universitas Cape Town?",
        "Kapan The Best Damn Thing dirilis?",
        "Siapa produser film Lilo & Stitch?",
        "Di mana kantor pusat South African Airways?",
        "Berapa jumlah anggota International Institute for Democracy and Electoral Assistance ?",
    ):
        assert detect_language(question) == "id", question
    assert detect_language("Who founded the International Institute for Democracy?") == "en"
