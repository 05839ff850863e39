"""Index.ask: evidence sentences, confidence, not-found, messages, term highlights (fake embedder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from egov_qa import Document, Settings, build_index, load_index
from egov_qa.errors import QueryError
from egov_qa.evidence import evidence_units

DOCS = [
    Document(
        "oss.md",
        "Online Single Submission dikelola Kementerian Investasi. Pelaku usaha mengurus Nomor Induk Berusaha lewat OSS. "
        "Usaha mikro tidak dipungut biaya.",
        title="OSS",
        metadata={"date": "2025-03-05", "source": "Catatan tim"},
    ),
    Document(
        "ktp.md",
        "Perekaman e-KTP dilakukan di Disdukcapil. Setiap penduduk memiliki NIK seumur hidup.",
        title="e-KTP",
    ),
    Document(
        "tabel.md", "| Layanan | Waktu |\n| KK | 1 hari |\n| Akta kelahiran | 1 hari |\n" * 12, title="Tabel layanan"
    ),
]


@pytest.fixture
def index(tmp_path: Path, fake_settings: Settings):
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    return load_index(tmp_path / "ix", settings=fake_settings)


def hit_of(answer, evidence):  # noqa: ANN001, ANN201
    return next(h for h in answer.hits if h.chunk_id == evidence.chunk_id)


def test_answer_cites_the_sentence_that_answers(index) -> None:
    answer = index.ask("Bagaimana pelaku usaha mengurus Nomor Induk Berusaha?", threshold=0.0)
    assert answer.language == "id" and answer.answered and answer.message == "Jawaban ditemukan."
    top = answer.evidence[0]
    assert top.text == "Pelaku usaha mengurus Nomor Induk Berusaha lewat OSS."
    cite = top.citation
    assert top.doc_id == "oss.md" and cite.title == "OSS" and cite.date == "2025-03-05" and cite.source == "Catatan tim"
    assert cite.text("id") == cite.text("en") == "OSS, 2025-03-05" and cite == hit_of(answer, top).citation
    doc = index.document("oss.md")
    assert doc.text[top.start : top.end] == top.text
    hit = next(h for h in answer.hits if h.chunk_id == top.chunk_id)
    assert hit.text[top.chunk_start : top.chunk_end] == top.text
    assert (top.chunk_start, top.chunk_end) in hit.highlights
    assert 0.0 <= answer.confidence <= 1.0 and answer.level in {"high", "medium", "low"}
    assert [e.score for e in answer.evidence] == sorted((e.score for e in answer.evidence), reverse=True)
    assert len({e.text for e in answer.evidence}) == len(answer.evidence)


def test_indonesian_questions_mark_their_words_in_the_passages(index) -> None:
    answer = index.ask("Bagaimana pelaku usaha mengurus Nomor Induk Berusaha?", threshold=0.0)
    hit = next(h for h in answer.hits if h.doc_id == "oss.md")
    marked = {hit.text[s:e].lower() for s, e in hit.terms}
    assert {"pelaku", "usaha", "mengurus", "nomor", "induk", "berusaha"} <= marked


def test_english_questions_get_english_messages_and_glossary_term_marks(index) -> None:
    answer = index.ask("How do businesses obtain a business identification number?", threshold=0.0)
    assert answer.language == "en" and answer.message == "Answer found."
    marked = {h.text[s:e].lower() for h in answer.hits for s, e in h.terms}
    # "business identification number" is "Nomor Induk Berusaha" in the glossary: its Indonesian words are marked
    assert {"nomor", "induk", "berusaha"} <= marked and not marked & {"how", "businesses", "obtain"}
    assert index.ask("Quelle est la procédure?", threshold=0.0).hits[0].terms == ()  # other languages: none


def test_below_threshold_is_not_found_marks_no_evidence_but_keeps_the_closest_passages(index) -> None:
    answer = index.ask("Kapan pemilu presiden berikutnya diadakan?", threshold=0.99)
    assert not answer.answered and answer.confidence < 0.99 and answer.level == "low"
    assert answer.message.startswith("Tidak ditemukan jawaban yang meyakinkan")
    assert len(answer.hits) == 3 and answer.evidence == () and answer.short_answer is None
    assert all(h.highlights == () for h in answer.hits)  # nothing is shown as if it answered
    with pytest.raises(QueryError, match="between 0 and 1"):
        index.ask("Kapan pemilu presiden berikutnya diadakan?", threshold=1.3)
    english = index.ask("When is the next presidential election?", threshold=0.99)
    assert english.message.startswith("No confident answer found")


def test_empty_questions_are_clear_errors(index) -> None:
    for q in ["", "   ", "?!"]:
        with pytest.raises(QueryError, match="Empty query"):
            index.ask(q)


def test_a_table_without_full_stops_gets_a_line_sized_highlight(index) -> None:
    answer = index.ask("Berapa lama layanan akta kelahiran?", threshold=0.0)
    hit = next(h for h in answer.hits if h.doc_id == "tabel.md")
    (start, end), *_ = hit.highlights
    assert len(hit.text[start:end].split()) <= 40 < len(hit.text.split())


def test_evidence_units_split_long_lines_into_windows() -> None:
    text = " ".join(f"kata{i}" for i in range(130))
    units = evidence_units(text, [(0, len(text))])
    assert [len(text[s:e].split()) for s, e in units] == [40, 40, 40, 10]
    assert evidence_units("Kalimat pendek.", [(0, 15)]) == [(0, 15)]


def test_the_confidence_is_one_probability_in_every_mode(index) -> None:
    question = "Bagaimana pelaku usaha mengurus Nomor Induk Berusaha?"
    for mode in ("hybrid", "dense", "lexical"):
        answer = index.ask(question, mode=mode, threshold=0.0)
        assert 0.0 <= answer.confidence <= 1.0, mode
        assert answer.evidence[0].text == "Pelaku usaha mengurus Nomor Induk Berusaha lewat OSS.", mode


def test_other_languages_are_reported_honestly(index) -> None:
    answer = index.ask("Quels sont les principaux obstacles pour les entreprises?", threshold=0.0)
    assert answer.language == "fr" and answer.message == "Answer found."


def test_an_empty_index_says_so(tmp_path: Path, fake_settings: Settings) -> None:
    build_index([], tmp_path / "empty", settings=fake_settings)
    answer = load_index(tmp_path / "empty", settings=fake_settings).ask("Apa itu SPBE?", threshold=0.0)
    assert not answer.answered and answer.hits == () and answer.message == "Korpus belum berisi dokumen."
    assert answer.level == "low"  # declined, whatever the threshold


def test_ask_embeds_the_question_once(tmp_path: Path, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    index = load_index(tmp_path / "ix", settings=fake_settings)
    calls = []
    original = index.embedder.embed_queries
    monkeypatch.setattr(index.embedder, "embed_queries", lambda texts: calls.append(texts) or original(texts))
    index.ask("Bagaimana pelaku usaha mengurus Nomor Induk Berusaha?", threshold=0.0)
    assert len(calls) == 1


def test_search_and_ask_mark_the_same_evidence_in_a_passage(index) -> None:
    question = "Bagaimana pelaku usaha mengurus Nomor Induk Berusaha?"
    searched = index.search(question, top_k=3)
    asked = index.ask(question, top_k=3, threshold=0.0)
    assert [h.chunk_id for h in searched] == [h.chunk_id for h in asked.hits]
    assert all(h.highlights for h in searched)
    # the answer marks what search marks, plus each evidence sentence in the passage it cites
    for found, answered in zip(searched, asked.hits, strict=True):
        assert set(found.highlights) <= set(answered.highlights)
    for ev in asked.evidence:
        hit = next(h for h in asked.hits if h.chunk_id == ev.chunk_id)
        assert (ev.chunk_start, ev.chunk_end) in hit.highlights
    assert {s for h in asked.hits for s in h.highlights} - {s for h in searched for s in h.highlights} <= {
        (ev.chunk_start, ev.chunk_end) for ev in asked.evidence
    }


def test_english_questions_are_ranked_by_the_english_scorer(index, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from egov_qa.answer_model import Linear, load_answer_model

    shipped = load_answer_model()
    assert shipped.english_scorer is not None and shipped.without_reader[1] is not None
    flipped = Linear(shipped.scorer.features, tuple(-w for w in shipped.scorer.weights), 0.0)
    # the fake model has no answer reader: its units are scored by the scorers fitted without one
    changed = replace(shipped, without_reader=(shipped.without_reader[0], flipped))
    monkeypatch.setattr("egov_qa.evidence.load_answer_model", lambda: changed)
    question = "How do businesses obtain a business identification number?"
    english = index.ask(question, threshold=0.0)
    ranked = [e.score for e in english.evidence]
    assert ranked == sorted(ranked, reverse=True)  # ranked by the (flipped) English scorer's scores
    indonesian = index.ask("Bagaimana pelaku usaha mengurus Nomor Induk Berusaha?", threshold=0.0)
    assert indonesian.evidence[0].text == "Pelaku usaha mengurus Nomor Induk Berusaha lewat OSS."  # not flipped
    monkeypatch.undo()
    assert index.ask(question, threshold=0.0).evidence[0].text != english.evidence[0].text
