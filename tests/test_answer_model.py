"""The answer models: question types, what sentences hold, short answers, the shipped weights, confidence words."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from egov_qa import confidence_text, labels, term_groups
from egov_qa.analysis import question_terms, word_terms
from egov_qa.analysis.qtypes import question_type
from egov_qa.answer import MAX_MARKED_TERMS, marked_terms
from egov_qa.answer_model import (
    CALIBRATION_FEATURES,
    UNIT_FEATURES,
    answer_model_from_dict,
    candidates,
    load_answer_model,
    name_terms,
    probability,
)
from egov_qa.records import confidence_level
from egov_qa.shortanswer import holds, short_answer


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("Kapan UU Pelayanan Publik disahkan?", "when"),
        ("Pada tahun berapa OSS diluncurkan?", "when"),
        ("When was the law passed?", "when"),
        ("Berapa biaya membuat NIB?", "number"),
        ("How many ministries use SPBE?", "number"),
        ("Siapa yang mengevaluasi SPBE?", "who"),
        ("Who evaluates SPBE?", "who"),
        ("Di mana warga menyampaikan pengaduan?", "where"),
        ("Dimanakah e-KTP direkam?", "where"),
        ("Apa itu e-KTP?", "definition"),
        ("Apa yang dimaksud dengan pelayanan publik?", "definition"),
        ("What is Satu Data Indonesia?", "definition"),
        ("Mengapa SPBE penting?", "why"),
        ("Apa fungsi Nomor Induk Berusaha (NIB)?", "why"),  # what it is for: answered by a purpose
        ("Apa kegunaan e-KTP?", "why"),
        ("What does the business identification number do?", "why"),
        ("What does NIB stand for?", "definition"),
        ("Bagaimana cara mengurus NIB untuk usaha mikro?", "how"),
        ("How can citizens file a complaint?", "how"),
        ("e-KTP", "other"),
    ],
)
def test_question_types_come_from_the_question_word(question: str, qtype: str) -> None:
    assert question_type(question) == qtype


def test_a_sentence_holds_what_the_type_asks_for_or_not() -> None:
    assert holds("when", frozenset(), "UU ini diundangkan pada 18 Juli 2009.") and not holds(
        "when", frozenset(), "UU ini mengatur layanan."
    )
    assert holds("number", frozenset(), "Biayanya Rp 50.000 per orang.") and not holds(
        "number", frozenset(), "Biayanya gratis."
    )
    assert holds("who", frozenset(), "Evaluasi dilakukan oleh Kementerian PANRB.") and not holds(
        "who", frozenset(), "Evaluasi dilakukan tiap tahun."
    )
    assert holds("definition", frozenset(), "e-KTP adalah kartu identitas elektronik.") and not holds(
        "definition", frozenset(), "e-KTP dicetak."
    )
    assert holds("why", frozenset(), "Layanan daring dipilih karena lebih cepat.") and not holds(
        "why", frozenset(), "Layanan daring dipilih."
    )
    assert holds("why", frozenset(), "NIB berfungsi sebagai identitas pelaku usaha.")  # what it is for
    assert holds("where", frozenset(), "Warga mengadu melalui SP4N-LAPOR!.") and holds(
        "where", frozenset(), "Kantor itu berada di Kota Bandung."
    )
    assert not holds("where", frozenset(), "Warga mengadu melalui kanal resmi.")
    assert not holds("other", frozenset(), "Apa saja.")


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("Siapa yang mengevaluasi penerapan SPBE?", "Evaluasi SPBE dilakukan oleh Kementerian PANRB setiap tahun.",
         "Kementerian PANRB"),
        ("Kapan Indonesia merdeka?", "Indonesia merdeka pada 17 Agustus 1945 di Jakarta.", "17 Agustus 1945"),
        ("Pada tahun berapa OSS diluncurkan?", "OSS diluncurkan pada tahun 2018 oleh pemerintah.", "2018"),
        ("Berapa jumlah penduduk Jakarta?", "Jumlah penduduk Jakarta mencapai 10,5 juta jiwa.", "10,5 juta jiwa"),
        ("Di mana Douwes Dekker dilahirkan?", "Douwes Dekker lahir di Pasuruan, Jawa Timur.",
         "Pasuruan, Jawa Timur"),
        ("Apa itu e-KTP?", "e-KTP adalah kartu tanda penduduk elektronik, berlaku seumur hidup.",
         "kartu tanda penduduk elektronik, berlaku seumur hidup"),
        ("Siapa pendiri tvOne?", "Stasiun tvOne, dulu Lativi, didirikan oleh Abdul Latief.", "Abdul Latief"),
        ("Apa kepanjangan dari GPS?", "GPS merupakan singkatan dari Global Positioning System.",
         "Global Positioning System"),
    ],
)  # fmt: skip
def test_short_answers_take_the_phrase_the_type_asks_for(question: str, sentence: str, expected: str) -> None:
    span = short_answer(question_type(question), question_terms(question), sentence)
    assert span is not None and sentence[span[0] : span[1]] == expected


def test_no_short_answer_where_the_sentence_has_none_or_only_repeats_the_question() -> None:
    assert short_answer("when", question_terms("Kapan OSS dibuat?"), "OSS dibuat oleh pemerintah.") is None
    # the only name is the question's own subject: not an answer
    assert short_answer("who", question_terms("Siapa Kementerian PANRB?"), "Kementerian PANRB bertugas.") is None
    assert short_answer("why", frozenset(), "Karena mudah.") is None  # no rule for why


def test_the_shipped_model_is_plain_data_for_these_features_with_its_provenance() -> None:
    raw = json.loads(resources.files("egov_qa").joinpath("data/answer_model.json").read_text(encoding="utf-8"))
    assert raw["scorer"]["features"] == list(UNIT_FEATURES) and len(raw["scorer"]["weights"]) == len(UNIT_FEATURES)
    assert raw["calibrator"]["features"] == list(CALIBRATION_FEATURES)
    assert raw["english_scorer"]["features"] == list(UNIT_FEATURES) and "NusaX" in raw["source"]["english_scorer"]
    assert 0.0 < raw["threshold"] < 1.0
    assert len(raw["source"]["commit"]) == 40 and "train_answer.py" in raw["source"]["command"]
    model = load_answer_model()
    assert model.threshold == raw["threshold"]
    assert set(model.short_answer_cutoffs) <= {"when", "number", "who", "where", "definition"}
    assert all(model.threshold <= c < 1.0 for c in model.short_answer_cutoffs.values())
    wrong = {**raw, "scorer": {**raw["scorer"], "features": ["sentence"]}}
    with pytest.raises(ValueError, match="do not match"):
        answer_model_from_dict(wrong)


def test_features_see_question_words_and_type_and_the_scorer_prefers_the_answering_sentence() -> None:
    question = "Siapa yang mengevaluasi penerapan SPBE?"
    text = "SPBE diatur dalam peraturan. Penerapan SPBE dievaluasi oleh Kementerian PANRB setiap tahun."
    units = [[(0, 28), (29, len(text))]]
    same = [np.asarray([0.85, 0.85])]  # equal cosines: only the other features tell them apart
    cands = candidates(question, term_groups(question, "id"), [text], [1], units, same, same, [0.85])
    row = dict(zip(UNIT_FEATURES, cands.rows[1], strict=True))
    assert (
        row["holds_who"] == 1.0
        and row["terms_in_sentence"] > dict(zip(UNIT_FEATURES, cands.rows[0], strict=True))["terms_in_sentence"]
    )
    scores = load_answer_model().scorer(cands.rows)
    assert scores[1] > scores[0]


def test_probabilities_and_their_words() -> None:
    assert probability(0.0) == 0.5 and probability(800.0) == 1.0 and probability(-800.0) == 0.0
    assert confidence_level(0.9, 0.4) == "high" and confidence_level(0.6, 0.4) == "medium"
    assert confidence_level(0.3, 0.4) == "low"
    assert confidence_text(0.864, "high", "id") == "Keyakinan: tinggi (86%)"
    assert confidence_text(0.5, "medium", "en") == "Confidence: medium (50%)"
    assert {labels("id")[k] for k in ("high", "medium", "low")} == {"tinggi", "sedang", "rendah"}


def test_question_term_marks_are_content_words_capped_for_long_questions() -> None:
    assert marked_terms("Sebutkan pengertian pelayanan publik", "id") == question_terms("pelayanan publik")
    pasted = " ".join(f"kata{i}x layanan{i}y" for i in range(200))
    assert len(marked_terms(pasted, "id")) == MAX_MARKED_TERMS
    assert {"aduan"} <= marked_terms("How can citizens file a complaint about public services?", "en")


def test_an_english_glossary_term_is_one_group_of_its_renderings() -> None:
    groups = term_groups("How can citizens file a complaint about public services?", "en")
    assert frozenset({"adu", "aduan", "keluh"}) in groups  # complaint: found when any rendering is
    assert len(groups) == 3  # citizens, complaint, public services
    assert term_groups("Apa itu e-KTP?", "id") == (frozenset({"ektp", "ktp"}),)
    assert term_groups("Quelle est la procédure?", "fr") == ()


def test_citation_marks_are_skipped_inside_a_definition() -> None:
    sentence = "NIB adalah [1] Nomor Induk Berusaha yang diterbitkan oleh OSS.[2]"
    start, end = short_answer("definition", frozenset({"nib"}), sentence)
    assert sentence[start:end] == "Nomor Induk Berusaha yang diterbitkan oleh OSS"


def test_question_types_read_only_the_opening_of_a_pasted_page() -> None:
    assert question_type("kata " * 100 + "Kapan?") == "other"  # past the first 300 characters
    assert question_type("what does " * 20_000) == "other"  # no pattern backtracks over the whole text
    assert question_type("What was defined in Law 23/2014?") == "other"  # "defined" is not "define"


def test_an_english_question_names_only_its_acronyms_and_numbers() -> None:
    assert name_terms("How does the Ministry Of Investment manage OSS in 2021?", "en") == {"oss", "2021"}
    expected = {t for word in ("Kementerian", "Investasi", "OSS") for t in word_terms(word)}
    assert name_terms("Kapan Kementerian Investasi mengelola OSS?") == expected
