"""Indonesian stems and question-term spans."""

from __future__ import annotations

import pytest

from egov_qa.stemmer import is_acronym, stems, term_spans


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("mengurus", "diurus"),
        ("pelayanan", "layanan"),
        ("pengelolaan", "dikelola"),
        ("memperbarui", "diperbarui"),
        ("perizinan", "izin"),
        ("pendaftaran", "mendaftar"),
        ("kependudukan", "penduduk"),
        ("menyampaikan", "disampaikan"),
        ("pengaduan", "mengadukan"),
        ("berusaha", "usaha"),
        ("terdaftar", "daftar"),
        ("memakai", "pakai"),
        ("menerbitkan", "terbit"),
    ],
)
def test_inflected_forms_share_a_stem(a: str, b: str) -> None:
    assert stems(a) & stems(b), (sorted(stems(a)), sorted(stems(b)))


@pytest.mark.parametrize(("a", "b"), [("layanan", "lapor"), ("izin", "usaha"), ("UU", "PP"), ("e-KTP", "KTP")])
def test_unrelated_words_do_not_match(a: str, b: str) -> None:
    assert not stems(a) & stems(b)


def test_acronyms_and_hyphenated_terms_stay_whole() -> None:
    for token in ["UU", "PP", "NIK", "e-KTP", "SP4N-LAPOR", "KK", "2009", "DPMPTSP"]:
        assert is_acronym(token) and stems(token) == {token.lower()}
    assert not is_acronym("Pelayanan")


def test_term_spans_mark_question_words_in_the_passage() -> None:
    question = "Bagaimana cara mengurus izin usaha dan e-KTP?"
    text = "Pelaku usaha kini mengurus perizinan secara daring. Perekaman e-KTP dan KTP lama diurus di Disdukcapil."
    found = [text[s:e] for s, e in term_spans(question, text)]
    assert found == ["usaha", "mengurus", "perizinan", "e-KTP", "diurus"]


def test_only_stop_words_give_no_terms() -> None:
    assert term_spans("apa dan yang di?", "Apa yang dimaksud dan di mana?") == ()
