"""Ingest on a real multi-node Ray cluster on this machine, with the real model, against the local ingest.

The fast tests here need no cluster: what is refused before one is reached.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from egov_qa import Settings, build_index, load_index
from egov_qa.cluster import ClusterOptions
from egov_qa.store import IndexReader

from .conftest import shared

ray = pytest.importorskip("ray", reason="the cluster extra is not installed: pip install 'egov-qa[cluster]'")

SLICE = (
    "UU-2006-023-ADMINISTRASI-KEPENDUDUKAN.pdf",
    "UU-2008-011-INFORMASI-DAN-TRANSAKSI-ELEKTRONIK.pdf",
    "UU-2008-037-OMBUDSMAN-RI.pdf",
)
QUESTIONS = (
    "Apa tugas Ombudsman Republik Indonesia?",
    "Siapa yang mengangkat anggota Ombudsman?",
    "Berapa jumlah anggota Ombudsman?",
    "Apa yang dimaksud dengan informasi elektronik?",
    "Apa itu tanda tangan elektronik?",
    "Bagaimana penyelenggaraan sertifikasi elektronik?",
    "Apa sanksi pidana mengakses komputer orang lain tanpa hak?",
    "Apa yang dimaksud dengan administrasi kependudukan?",
    "Siapa yang menerbitkan Kartu Tanda Penduduk?",
    "Kapan penduduk wajib melaporkan kelahiran?",
    "Apa itu Nomor Induk Kependudukan?",
    "Bagaimana pencatatan perkawinan bagi penduduk?",
    "What does the Ombudsman investigate?",
    "Who appoints the members of the Ombudsman?",
    "What is an electronic signature?",
    "What is an electronic transaction?",
    "What is the population identification number?",
    "Who issues identity cards to residents?",
    "What are the penalties for illegal access to a computer system?",
    "Which institution oversees public services?",
)


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir(parents=True)
    for name in SLICE:
        shutil.copy(shared("regulations_id", "pdf_core_egov", name), corpus / name)
    return corpus


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A head and one more node (one CPU each) started with Ray's own cluster utilities."""
    from ray.cluster_utils import Cluster

    shared("regulations_id", "pdf_core_egov")  # skip before starting anything when the data is absent

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    nodes.add_node(num_cpus=1)
    yield nodes
    nodes.shutdown()


def _chunks(index_dir: Path) -> dict[tuple[str, str], np.ndarray]:
    """Every chunk's (document, text) with its vector."""
    reader = IndexReader(index_dir)
    try:
        ids = sorted(reader.chunk_documents())
        rows = reader.chunk_rows(ids)
        vectors = reader.vectors_of(ids)
        return {(rows[i]["doc_id"], rows[i]["text"]): v for i, v in zip(ids, vectors, strict=True)}
    finally:
        reader.close()


def _same_index(local: Path, other: Path, settings: Settings) -> None:
    mine, theirs = _chunks(local), _chunks(other)
    assert mine.keys() == theirs.keys() and len(mine) > 50
    lowest = min(float(mine[k] @ theirs[k]) for k in mine)
    assert lowest >= 0.9999, lowest
    a, b = load_index(local, settings=settings), load_index(other, settings=settings)
    for question in QUESTIONS:
        first_a, first_b = (
            a.search(question, top_k=1, highlight=False)[0],
            b.search(question, top_k=1, highlight=False)[0],
        )
        assert (first_a.doc_id, first_a.text) == (first_b.doc_id, first_b.text), question


@pytest.fixture(scope="module")
def local_index(tmp_path_factory: pytest.TempPathFactory, e5_models_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("local")
    build_index(_corpus(folder), folder / "ix", settings=Settings(models_dir=e5_models_dir))
    return folder / "ix"


@pytest.mark.slow
def test_the_ray_ingest_on_two_nodes_builds_the_local_ingests_index(
    cluster: Any, local_index: Path, tmp_path: Path, e5_models_dir: Path
) -> None:
    settings = Settings(models_dir=e5_models_dir)
    assert len(cluster.list_all_nodes()) == 2  # a head and one more node
    report = build_index(
        _corpus(tmp_path), tmp_path / "ix", settings=settings, cluster=ClusterOptions(address=cluster.address)
    )
    assert sorted(report.added) == sorted(SLICE) and not report.skipped
    _same_index(local_index, tmp_path / "ix", settings)
    again = build_index(_corpus(tmp_path / "again"), tmp_path / "ix", settings=settings,
                        cluster=ClusterOptions(address=cluster.address))  # fmt: skip
    assert again.chunks_embedded == 0 and len(again.unchanged) == len(SLICE)  # incremental by content hash


@pytest.mark.slow
def test_a_worker_node_killed_mid_ingest_costs_only_its_batch(
    cluster: Any, local_index: Path, tmp_path: Path, e5_models_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(models_dir=e5_models_dir)
    doomed = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    killed = threading.Event()

    def progress(done: int, total: int) -> None:
        if done and not killed.is_set():
            killed.set()  # the first batch is back: the rest is spread over the nodes still running
            threading.Thread(target=cluster.remove_node, args=(doomed,)).start()

    report = build_index(
        _corpus(tmp_path), tmp_path / "ix", settings=settings, progress=progress,
        cluster=ClusterOptions(address=cluster.address, batch_size=4),
    )  # fmt: skip
    assert killed.is_set() and sorted(report.added) == sorted(SLICE)
    assert "An embedding worker was lost" in caplog.text  # the node died with work in hand
    _same_index(local_index, tmp_path / "ix", settings)


def test_an_unreachable_address_fails_at_once_and_leaves_no_index(tmp_path: Path, fake_settings: Settings) -> None:
    from egov_qa import EgovQAError

    with pytest.raises(EgovQAError, match=r"Cannot reach a Ray cluster at '127\.0\.0\.1:1'.*ray start --head"):
        build_index(_docs_folder(tmp_path), tmp_path / "ix", settings=fake_settings,
                    cluster=ClusterOptions(address="127.0.0.1:1"))  # fmt: skip
    assert not (tmp_path / "ix" / "manifest.json").exists()


def test_an_embedder_registered_in_this_process_only_is_refused(
    tmp_path: Path, fake_settings: Settings, use_embedder: Any
) -> None:
    from egov_qa import ConfigError
    from egov_qa.embedding import FakeEmbedder

    class Mine(FakeEmbedder):
        name, backend = "mine", "custom"

    use_embedder(Mine())
    with pytest.raises(ConfigError, match="registered or built in this process only"):
        build_index(_docs_folder(tmp_path), tmp_path / "ix", model="mine", settings=fake_settings,
                    cluster=ClusterOptions())  # fmt: skip


def _docs_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Pelayanan publik diawasi oleh Ombudsman.", encoding="utf-8")
    return folder
