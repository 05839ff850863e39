"""Evidence sentence selection over offsets."""

from __future__ import annotations

import pytest

from egov_qa.highlight import segments, select_highlights, sentence_spans


def test_best_sentence_and_close_runner_up_in_text_order() -> None:
    spans = [(0, 10), (11, 20), (21, 30)]
    assert select_highlights(spans, [0.2, 0.9, 0.89]) == ((11, 20), (21, 30))
    assert select_highlights(spans, [0.2, 0.9, 0.5]) == ((11, 20),)
    assert select_highlights(spans, [0.9, 0.9, 0.9], limit=2) == ((0, 10), (11, 20))


def test_no_sentences_means_no_highlight_and_mismatch_is_an_error() -> None:
    assert select_highlights([], []) == ()
    with pytest.raises(ValueError, match="2 spans but 1 scores"):
        select_highlights([(0, 1), (1, 2)], [0.5])


def test_a_passage_without_sentence_offsets_is_one_span() -> None:
    text = "  | Kolom A | Kolom B |\n| 1 | 2 |  "
    assert sentence_spans(text, []) == [(2, len(text.rstrip()))]
    assert sentence_spans(text, [(0, 999)]) == [(2, len(text.rstrip()))]
    assert sentence_spans("   ", []) == []


def test_segments_rebuild_the_text_and_flag_sentences_and_terms() -> None:
    text = "Pelayanan publik. Perizinan berusaha lewat OSS. Selesai."
    sentence = (18, 47)
    terms = [(18, 27), (43, 46), (0, 9)]
    parts = segments(text, [sentence], terms)
    assert "".join(p for p, _, _ in parts) == text
    assert parts[0] == ("Pelayanan", False, True)
    assert ("Perizinan", True, True) in parts
    assert ("OSS", True, True) in parts
    assert (" berusaha lewat ", True, False) in parts
    assert parts[-1] == (" Selesai.", False, False)


def test_segments_clip_out_of_range_spans_and_merge_equal_runs() -> None:
    assert segments("abc", [(-5, 99)], [(1, 1)]) == [("abc", True, False)]
    assert segments("", [(0, 3)]) == []
    assert segments("abcdef", [(0, 2), (2, 4)]) == [("abcd", True, False), ("ef", False, False)]
