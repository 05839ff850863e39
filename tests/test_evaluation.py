"""Retrieval metrics and the eval command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from egov_qa.cli import main
from egov_qa.errors import EgovQAError
from egov_qa.evaluation import EvalQuery, documents_in_order, evaluate, query_metrics, read_queries


def test_metrics_by_hand() -> None:
    m = query_metrics(["a", "b", "c", "d", "e", "f"], frozenset({"c", "x"}))
    assert m["R@1"] == 0.0 and m["R@5"] == 1.0 and m["R@10"] == 1.0
    assert m["MRR@10"] == pytest.approx(1 / 3)
    assert m["nDCG@10"] == pytest.approx((1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert query_metrics(["q"] * 3, frozenset({"a"})) == {
        "R@1": 0.0,
        "R@5": 0.0,
        "R@10": 0.0,
        "MRR@10": 0.0,
        "nDCG@10": 0.0,
    }
    assert query_metrics(["a"], frozenset({"a"}))["nDCG@10"] == 1.0
    # beyond rank 10 nothing counts
    assert query_metrics([*"bcdefghijk", "a"], frozenset({"a"}))["MRR@10"] == 0.0


def test_chunks_collapse_to_documents_and_metrics_average() -> None:
    assert documents_in_order(["a", "a", "b", "a", "c"]) == ["a", "b", "c"]
    queries = read_queries_from(["a", "b"])
    result = evaluate(queries, lambda q: ["a", "a", "b"] if q == "q0" else ["z", "b"])
    assert result["R@1"] == 0.5 and result["MRR@10"] == pytest.approx(0.75)


def read_queries_from(relevant: list[str]) -> list[EvalQuery]:
    return [EvalQuery(f"q{i}", frozenset({r})) for i, r in enumerate(relevant)]


def test_queries_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"query": "izin usaha", "relevant": ["oss.html"]}\n\n{"question": "NIK?", "doc_id": "a"}\n')
    assert [q.relevant for q in read_queries(path)] == [frozenset({"oss.html"}), frozenset({"a"})]
    path.write_text('{"query": "izin usaha", "relevant": ["oss.html"]}\n{"query": "x"}\n')
    with pytest.raises(EgovQAError, match=r"q.jsonl:2"):
        read_queries(path)
    path.write_text("not json\n")
    with pytest.raises(EgovQAError, match=r"q.jsonl:1: not JSON"):
        read_queries(path)
    with pytest.raises(EgovQAError, match="No queries file"):
        read_queries(tmp_path / "missing.jsonl")


def test_eval_command_table_and_json(corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ix = tmp_path / "ix"
    assert runner.invoke(main, ["ingest", str(corpus), "--index", str(ix), "--model", "fake"]).exit_code == 0
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        "\n".join(
            json.dumps(q)
            for q in [
                {"query": "Nomor Induk Berusaha di OSS", "relevant": ["oss.html"]},
                {"query": "arsitektur SPBE nasional", "relevant": ["spbe.md"]},
            ]
        )
    )
    result = runner.invoke(main, ["eval", str(queries), "--index", str(ix)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2 queries")
    assert "R@1" in lines[2] and "nDCG@10" in lines[2]
    assert [line.split()[0] for line in lines[3:6]] == ["dense", "lexical", "hybrid"]
    result = runner.invoke(main, ["eval", str(queries), "--index", str(ix), "--mode", "lexical", "--json"])
    record = json.loads(result.stdout)
    assert record["queries"] == 2 and list(record["results"]) == ["lexical"]
    assert record["results"]["lexical"]["R@1"] == 1.0  # both are found by their own words
    bad = runner.invoke(main, ["eval", str(tmp_path / "none.jsonl"), "--index", str(ix)])
    assert bad.exit_code != 0 and "No queries file" in bad.output
