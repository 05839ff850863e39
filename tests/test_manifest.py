"""The typed manifest: read, written, checked; a damaged one is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egov_qa import Document, IndexCorruptError, IndexMismatchError, Manifest, Settings, build_index, load_index
from egov_qa.analysis import ANALYZER_VERSION
from egov_qa.embedding import FakeEmbedder
from egov_qa.manifest import MANIFEST_NAME

DOCS = [Document("a", "Pelayanan publik daring di kabupaten."), Document("b", "Perizinan berusaha lewat OSS.")]


@pytest.fixture
def ix(tmp_path: Path, fake_settings: Settings) -> Path:
    build_index(DOCS, tmp_path / "ix", settings=fake_settings)
    return tmp_path / "ix"


def test_an_index_manifest_reads_back_as_a_record(ix: Path) -> None:
    m = Manifest.read(ix)
    assert m.generation == 1 and m.documents == 2 and m.chunks == 2
    assert m.model.name == "fake" and m.model.dimension == 64 and m.model.fingerprint == FakeEmbedder().fingerprint()
    assert m.has_lexical and m.analyzer == ANALYZER_VERSION
    assert (ix / m.vectors_file).is_file() and (ix / m.store_file).is_file()
    assert m.last_ingest.added == 2 and m.egov_qa_version
    assert Manifest.from_dict(json.loads((ix / MANIFEST_NAME).read_text())) == m
    assert Manifest.from_dict(m.to_dict()) == m


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.update(generation="two"), "generation must be a whole number"),
        (lambda d: d["files"]["segments"][0].update(file="../../etc/passwd"), "plain file name"),
        (lambda d: d["model"].pop("dimension"), "dimension"),
        (lambda d: d.pop("files"), "files"),
    ],
)
def test_a_damaged_manifest_is_a_clear_error_with_the_fix(ix: Path, change, match: str) -> None:  # noqa: ANN001
    data = json.loads((ix / MANIFEST_NAME).read_text())
    change(data)
    (ix / MANIFEST_NAME).write_text(json.dumps(data))
    with pytest.raises(IndexCorruptError, match=match) as err:
        Manifest.read(ix)
    assert f"egov-qa ingest CORPUS --index {ix} --full" in str(err.value)


@pytest.mark.parametrize("damage", [{"generation": "two"}, {"counts": "x"}, {"last_ingest": "x"}, {"model": []}])
def test_full_rebuild_repairs_a_damaged_index_and_moves_forward(
    ix: Path, fake_settings: Settings, damage: dict
) -> None:
    build_index([*DOCS, Document("c", "Satu Data Indonesia.")], ix, settings=fake_settings)  # generation 2
    data = json.loads((ix / MANIFEST_NAME).read_text())
    data.update(damage)
    (ix / MANIFEST_NAME).write_text(json.dumps(data))
    with pytest.raises(IndexCorruptError, match="--full"):
        load_index(ix, settings=fake_settings)
    with pytest.raises(IndexCorruptError):
        build_index(DOCS, ix, settings=fake_settings)
    report = build_index(DOCS, ix, settings=fake_settings, full=True)
    assert report.total_documents == 2 and load_index(ix, settings=fake_settings).document_ids() == ["a", "b"]
    manifest = Manifest.read(ix)
    assert manifest.generation == 3  # never back to 1: a running app caches the loaded index by generation
    assert sorted(p.name for p in ix.iterdir() if not p.name.startswith(".")) == sorted(
        [MANIFEST_NAME, manifest.vectors_file, manifest.store_file]
    )


def test_model_and_chunking_checks_name_both_sides(ix: Path) -> None:
    m = Manifest.read(ix)

    class Other(FakeEmbedder):
        name = "other-model"

    with pytest.raises(IndexMismatchError, match="built with model 'fake'.*asked for is 'other-model'"):
        m.check_model(Other(), ix)
    m.check_model(FakeEmbedder(), ix)
    with pytest.raises(IndexMismatchError, match="chunked with"):
        m.check_chunking({**m.chunking, "max_tokens": 1}, ix)
    m.check_chunking(m.chunking, ix)


def test_an_index_names_its_engine_only_for_its_own_model() -> None:
    from egov_qa import ModelInfo

    info = ModelInfo(name="intfloat/multilingual-e5-small", dimension=384, backend="onnx")
    assert info.engine_for("intfloat/multilingual-e5-small") == "onnx"
    assert info.engine_for("some-org/another-model") is None  # that one loads on its own default engine
    assert ModelInfo(name="fake", dimension=64, backend="fake").engine is None
