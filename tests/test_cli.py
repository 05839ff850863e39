"""The egov-qa command line through click's CliRunner, with the fake embedder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from egov_qa.cli import main


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("EGOV_QA_MODEL", "fake")
    return CliRunner()


def test_every_command_has_help(runner: CliRunner) -> None:
    commands = sorted(main.commands)
    assert commands == ["add", "ask", "compact", "eval", "info", "ingest", "publish", "remove", "search", "serve"]
    for args in ([], *([c] for c in commands)):
        result = runner.invoke(main, [*args, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, args
        assert (main.commands[args[0]].help or "").strip() if args else True, f"{args} has no help text"
    assert "--full" in runner.invoke(main, ["ingest", "--help"]).output
    assert "0.1.0" in runner.invoke(main, ["--version"]).output


def test_ingest_search_info_round_trip(runner: CliRunner, corpus: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    result = runner.invoke(main, ["ingest", str(corpus), "--index", str(ix)])
    assert result.exit_code == 0, result.output
    assert "Added 5" in result.output and "skipped 2" in result.output
    assert "adminduk.jsonl:3: malformed JSON" in result.output

    result = runner.invoke(main, ["search", "Nomor Induk Berusaha OSS", "--index", str(ix), "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "Question language: Indonesian" in result.output
    assert "[1]" in result.output and "[2]" in result.output and "[3]" not in result.output
    assert "Perizinan Berusaha Lewat OSS" in result.output and "[[" in result.output

    result = runner.invoke(main, ["search", "How do I get a business permit?", "--index", str(ix), "--json"])
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == 5 and [r["rank"] for r in records] == [1, 2, 3, 4, 5]
    assert all(r["language"] == "en" for r in records)
    for r in records:
        assert r["highlight_text"] == [r["text"][s:e] for s, e in r["highlights"]]

    result = runner.invoke(main, ["info", "--index", str(ix)])
    assert result.exit_code == 0 and "Documents:  5" in result.output and "Model:      fake" in result.output
    assert "adminduk.jsonl:4" in result.output
    manifest = json.loads(runner.invoke(main, ["info", "--index", str(ix), "--json"]).output)
    assert manifest["counts"]["documents"] == 5


def test_second_ingest_reports_unchanged(runner: CliRunner, corpus: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    runner.invoke(main, ["ingest", str(corpus), "--index", str(ix)])
    result = runner.invoke(main, ["ingest", str(corpus), "--index", str(ix)])
    assert "Added 0, updated 0, removed 0, unchanged 5" in result.output
    assert "embedded 0 chunks" in result.output


def test_settings_come_from_the_environment(
    runner: CliRunner, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EGOV_QA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("EGOV_QA_INDEX_DIR", str(tmp_path / "env-ix"))
    assert runner.invoke(main, ["ingest"]).exit_code == 0
    assert (tmp_path / "env-ix" / "manifest.json").is_file()
    flag = runner.invoke(main, ["info", "--index", str(tmp_path / "nowhere")])
    assert flag.exit_code == 1 and "No index at" in flag.output


def test_errors_are_messages_not_tracebacks(runner: CliRunner, tmp_path: Path, corpus: Path) -> None:
    result = runner.invoke(main, ["search", "SPBE", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1 and "Error: No index at" in result.output and "Traceback" not in result.output
    result = runner.invoke(main, ["ingest", str(tmp_path / "no-corpus"), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1 and "No corpus folder" in result.output
    runner.invoke(main, ["ingest", str(corpus), "--index", str(tmp_path / "ix")])
    result = runner.invoke(main, ["search", "  ?? ", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1 and "Empty query" in result.output


def test_ask_prints_evidence_with_citation_and_json(runner: CliRunner, corpus: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    runner.invoke(main, ["ingest", str(corpus), "--index", str(ix)])
    result = runner.invoke(
        main, ["ask", "Apa fungsi Nomor Induk Berusaha di OSS?", "--index", str(ix), "--threshold", "0"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Jawaban ditemukan. (Keyakinan: ")
    assert re.search(r"\(Keyakinan: (tinggi|sedang|rendah) \(\d{1,3}%\)\)", result.output.splitlines()[0])
    assert "Bukti:" in result.output and "Bagian teks terkait:" in result.output
    assert "[oss.html]" in result.output and "Perizinan Berusaha Lewat OSS" in result.output
    # the question's own words are marked in the passages: "Berusaha" also marks the bare "usaha"
    assert "*Nomor*" in result.output and "*Induk*" in result.output and "*OSS*" in result.output
    assert "Pelaku *usaha*" in result.output
    result = runner.invoke(main, ["ask", "Who records the e-KTP?", "--index", str(ix), "--json", "--threshold", "0"])
    record = json.loads(result.output)
    assert (
        record["language"] == "en" and record["answered"] is True and record["confidence_level"] in {"high", "medium"}
    )
    ev = record["evidence"][0]
    hit = next(
        h
        for h in record["hits"]
        if h["doc_id"] == ev["doc_id"] and h["text"][ev["chunk_start"] : ev["chunk_end"]] == ev["text"]
    )
    assert [ev["chunk_start"], ev["chunk_end"]] in hit["highlights"]
    result = runner.invoke(main, ["ask", "Who records the e-KTP?", "--index", str(ix), "--json", "--threshold", "1"])
    record = json.loads(result.output)
    assert record["answered"] is False and record["message"].startswith("No confident answer")
    assert record["evidence"] == [] and record["hits"] and record["confidence_level"] == "low"
    result = runner.invoke(main, ["ask", "Who records the e-KTP?", "--index", str(ix), "--threshold", "2"])
    assert result.exit_code == 2 and "0<=x<=1" in result.output


def test_search_and_ask_take_a_mode_and_filters(runner: CliRunner, corpus: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    runner.invoke(main, ["ingest", str(corpus), "--index", str(ix), "--model", "fake"])
    result = runner.invoke(main, ["search", "izin usaha OSS", "--index", str(ix), "--mode", "lexical", "--json"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records and all(r["mode"] == "lexical" and r["lexical_score"] > 0 for r in records)
    assert records[0]["doc_id"] == "oss.html"
    result = runner.invoke(main, ["search", "izin usaha OSS", "--index", str(ix), "--year-from", "2030"])
    assert result.exit_code == 0 and "No passages match the filters." in result.stdout
    result = runner.invoke(main, ["search", "izin", "--index", str(ix), "--year-from", "2030", "--year-to", "2020"])
    assert result.exit_code != 0 and "empty" in result.output
    result = runner.invoke(main, ["ask", "Apa itu NIB?", "--index", str(ix), "--category", "spbe", "--json"])
    record = json.loads(result.stdout)
    assert record["hits"] and {h["doc_id"] for h in record["hits"]} == {"spbe.md"}
    result = runner.invoke(main, ["search", "izin", "--index", str(ix), "--mode", "fuzzy"])
    assert result.exit_code != 0 and "fuzzy" in result.output


def test_add_and_remove_update_the_corpus_and_the_index(runner: CliRunner, corpus: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    runner.invoke(main, ["ingest", str(corpus), "--index", str(ix), "--model", "fake"])
    article = tmp_path / "Catatan MPP (baru).md"
    article.write_text("---\ntitle: MPP Digital\n---\nMal Pelayanan Publik Digital menyatukan layanan.\n")
    result = runner.invoke(main, ["add", str(article), "--corpus", str(corpus), "--index", str(ix)])
    assert result.exit_code == 0, result.output
    assert (corpus / "Catatan-MPP-baru.md").is_file() and "Added 1" in result.stdout
    again = runner.invoke(main, ["add", str(article), "--corpus", str(corpus), "--index", str(ix)])
    assert again.exit_code != 0 and "already exists" in again.output
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01\x02")
    refused = runner.invoke(main, ["add", str(binary), "--corpus", str(corpus), "--index", str(ix)])
    assert refused.exit_code != 0 and "binary" in refused.output and not (corpus / "x.txt").exists()
    result = runner.invoke(main, ["remove", "Catatan-MPP-baru.md", "--corpus", str(corpus), "--index", str(ix)])
    assert result.exit_code == 0 and "removed 1" in result.stdout
    assert not (corpus / "Catatan-MPP-baru.md").exists()


def test_ingest_ray_does_not_take_the_corpus_for_an_address(runner: CliRunner, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    result = runner.invoke(main, ["ingest", "--ray", str(corpus), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 2
    assert "put the corpus before it" in result.output and not (tmp_path / "ix").exists()


def test_ray_options_without_ray_are_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["ingest", str(tmp_path), "--ray-workers", "2", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 2 and "go with --ray" in result.output
