"""Question-term marks: the words of a passage that share an index term with the question."""

from __future__ import annotations

import pytest

from egov_qa.analysis import analyze, is_acronym, question_terms, term_spans, word_terms


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
        ("e-KTP", "KTP"),
    ],
)
def test_inflected_forms_share_a_term(a: str, b: str) -> None:
    assert set(word_terms(a)) & set(word_terms(b)), (word_terms(a), word_terms(b))


@pytest.mark.parametrize(("a", "b"), [("layanan", "lapor"), ("izin", "usaha"), ("UU", "PP"), ("pengobatan", "kobat")])
def test_unrelated_words_do_not_match(a: str, b: str) -> None:
    assert not set(word_terms(a)) & set(word_terms(b))


def test_acronyms_and_numbers_stay_whole() -> None:
    for token in ["UU", "PP", "NIK", "KK", "BPJS", "KemenPAN"]:
        assert is_acronym(token) and word_terms(token) == [token.lower()]
    assert word_terms("2009") == ["2009"] and word_terms("SP4N") == ["sp4n"] and word_terms("DPMPTSP") == ["dpmptsp"]
    assert not is_acronym("Pelayanan") and not is_acronym("PELAYANAN")


def test_term_spans_mark_question_words_in_the_passage() -> None:
    question = "Bagaimana cara mengurus izin usaha dan e-KTP?"
    text = "Pelaku usaha kini mengurus perizinan secara daring. Perekaman e-KTP dan KTP lama diurus di Disdukcapil."
    found = [text[s:e] for s, e in term_spans(text, question_terms(question))]
    assert found == ["usaha", "mengurus", "perizinan", "e-KTP", "KTP", "diurus"]


def test_marks_and_bm25_agree_on_every_word() -> None:
    question = "Siapa yang menyelenggarakan pelayanan kependudukan dan pengelolaan data?"
    text = "Penyelenggaraan layanan penduduk dan data dikelola oleh Dinas; pemerintah daerah melayani warga."
    marked = {text[s:e] for s, e in term_spans(text, question_terms(question))}
    shared = set(analyze(question)) & set(analyze(text))
    assert marked == {"Penyelenggaraan", "layanan", "penduduk", "data", "dikelola", "melayani"}
    assert {t for w in marked for t in word_terms(w)} <= shared


def test_only_stop_words_give_no_terms() -> None:
    assert question_terms("apa dan yang di?") == frozenset()
    assert term_spans("Apa yang dimaksud dan di mana?", question_terms("apa dan yang di?")) == ()
