"""The answer reader: its shipped tuning, the merge into the model, and the features it gives the scorer."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from egov_qa import Index, term_groups
from egov_qa.answer_model import CALIBRATION_FEATURES, UNIT_FEATURES, calibration_row, candidates, load_answer_model
from egov_qa.reading import RECORD_FILE, WEIGHTS_FILE, Reading, merge_tuning, record, weights_digest


def _shipped() -> dict[str, np.ndarray]:
    with resources.files("egov_qa").joinpath(f"data/{WEIGHTS_FILE}").open("rb") as fh:
        with np.load(fh, allow_pickle=False) as npz:  # plain arrays: no pickle needed to read them
            return {k: npz[k] for k in npz.files}


def test_the_shipped_tuning_is_plain_arrays_of_the_recorded_shape_with_its_provenance() -> None:
    weights, meta = _shipped(), record()
    rank, first = meta["rank"], meta["frozen_layers"]
    pairs = sorted(k[:-2] for k in weights if k.endswith(".a"))
    assert len(pairs) == (12 - first) * len(meta["tuned"])
    for name in pairs:
        a, b = weights[f"{name}.a"], weights[f"{name}.b"]
        assert a.shape[0] == rank and b.shape[1] == rank and a.dtype == np.float16
        assert int(name.split(".")[2]) >= first and any(name.endswith(t) for t in meta["tuned"])
    assert weights["head.w"].shape == (384,) and weights["null.w"].shape == (384,)
    source = meta["source"]
    assert "train_reader.py --write" in source["command"] and "TyDi QA-id train" in source["data"]
    assert len(source["commit"]) >= 7
    raw = json.loads(resources.files("egov_qa").joinpath(f"data/{RECORD_FILE}").read_text("utf-8"))
    assert raw["training"]["examples"]["idk_unanswerable"] > 1000  # it learned to say "no answer"
    # the answer model was fitted on this reader's scores
    assert load_answer_model().source["reader_weights"] == weights_digest()


def test_merging_adds_each_low_rank_update_to_its_weight_and_nothing_else(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(
        vocab_size=30, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16
    )
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(tmp_path / "base")
    (tmp_path / "base" / "extra.txt").write_text("copied along", encoding="utf-8")
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 8)).astype(np.float16), rng.normal(size=(16, 2)).astype(np.float16)
    merge_tuning(tmp_path / "base", tmp_path / "merged", {"encoder.layer.1.intermediate.dense.a": a,
                 "encoder.layer.1.intermediate.dense.b": b}, {"scale": 0.5})  # fmt: skip
    before = dict(transformers.BertModel.from_pretrained(tmp_path / "base").named_parameters())
    after = dict(transformers.BertModel.from_pretrained(tmp_path / "merged").named_parameters())
    key = "encoder.layer.1.intermediate.dense.weight"
    expected = before[key].detach().numpy() + 0.5 * (b.astype(np.float32) @ a.astype(np.float32))
    assert np.allclose(after[key].detach().numpy(), expected, atol=1e-3)
    assert all(torch.equal(before[k], after[k]) for k in before if k != key)
    assert (tmp_path / "merged" / "extra.txt").is_file()
    with pytest.raises(Exception, match="does not have"):
        merge_tuning(tmp_path / "base", tmp_path / "again", {"encoder.layer.9.x.a": a, "encoder.layer.9.x.b": b},
                     {"scale": 1.0})  # fmt: skip


def test_reader_features_are_log_odds_against_no_answer_and_probabilities_within_the_passage() -> None:
    question = "Siapa yang mengevaluasi penerapan SPBE?"
    texts = ["SPBE diatur. Kementerian PANRB mengevaluasi SPBE.", "Harga tiket naik."]
    units = [[(0, 12), (13, len(texts[0]))], [(0, len(texts[1]))]]
    cos = [np.asarray([0.8, 0.8]), np.asarray([0.7])]
    reading = [Reading(np.asarray([-1.0, 3.0]), 1.0), Reading(np.asarray([-2.0]), 2.0)]
    cands = candidates(
        question, term_groups(question, "id"), texts, [1, 2], units, cos, cos, [0.8, 0.7], 0.0, "id", reading
    )
    rows = [dict(zip(UNIT_FEATURES, r, strict=True)) for r in cands.rows]
    assert [r["reader"] for r in rows] == [-2.0, 2.0, -4.0]
    assert [r["reader_gap"] for r in rows] == [-4.0, 0.0, -6.0]
    # within the first passage: "no answer" e^0, the units e^-2 and e^2 (log-odds), normalised
    within = np.exp([rows[0]["reader_in_passage"], rows[1]["reader_in_passage"]])
    assert np.allclose(within, np.exp([-2.0, 2.0]) / (1 + np.exp(-2.0) + np.exp(2.0)))
    row = calibration_row(cands, np.asarray([0.0, 1.0, -1.0]), 1, 0)
    calibration = dict(zip(CALIBRATION_FEATURES, row, strict=True))
    assert calibration["reader"] == 2.0 and calibration["reader_best"] == 2.0
    plain = candidates(question, term_groups(question, "id"), texts, [1, 2], units, cos, cos, [0.8, 0.7])
    assert not plain.rows[:, [UNIT_FEATURES.index(f) for f in ("reader", "reader_gap", "reader_in_passage")]].any()
    with pytest.raises(ValueError, match="do not match"):
        candidates(question, (), texts, [1, 2], units, cos, cos, [0.8, 0.7], 0.0, "id", reading[:1])


def test_an_index_of_another_model_has_no_reader_and_still_answers(fake_index: Index) -> None:
    hits = fake_index.search("Siapa yang mengevaluasi penerapan SPBE?", top_k=2).hits
    assert fake_index.read("Siapa yang mengevaluasi penerapan SPBE?", hits) is None
    answer = fake_index.ask("Siapa yang mengevaluasi penerapan SPBE?")
    assert answer.evidence and answer.answered  # other models always answer (threshold 0)


def test_the_engine_and_the_reader_share_one_parsed_tokenizer_per_file_content(tmp_path: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    from egov_qa.onnx_embedder import shared_tokenizer

    def saved(folder: str, vocab: dict[str, int]) -> Path:
        tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
        tok.pre_tokenizer = Whitespace()
        (tmp_path / folder).mkdir()
        tok.save(str(tmp_path / folder / "tokenizer.json"))
        return tmp_path / folder / "tokenizer.json"

    engine = saved("engine", {"[UNK]": 0, "pelayanan": 1, "publik": 2})
    reader = saved("reader", {"[UNK]": 0, "pelayanan": 1, "publik": 2})  # a copy: same bytes
    other = saved("other", {"[UNK]": 0, "publik": 1})
    first = shared_tokenizer(engine)
    assert shared_tokenizer(reader) is first
    assert first.encode("pelayanan publik").ids == [1, 2]
    assert shared_tokenizer(other) is not first and shared_tokenizer(other).encode("pelayanan publik").ids == [0, 1]
