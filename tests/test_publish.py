"""Publishing generations to a folder that replicas serve: copies, incremental copies, readers in other processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from egov_qa import Document, Settings, build_index, load_index, publish_index
from egov_qa.cli import main
from egov_qa.manifest import Manifest

TOPICS = ["perizinan berusaha OSS", "KTP elektronik Disdukcapil", "pengaduan SP4N-LAPOR", "arsitektur SPBE"]


def _docs(n: int) -> list[Document]:
    return [
        Document(f"d{i}.txt", f"Dokumen {i} tentang {TOPICS[i % 4]}. Kata kata{i}unik ada di sini.", title=f"D{i}")
        for i in range(n)
    ]


def _top(index, query: str) -> list[tuple[str, float]]:  # noqa: ANN001
    return [(h.doc_id, round(h.score, 5)) for h in index.search(query, top_k=4, mode="dense", highlight=False)]


def test_a_published_generation_answers_as_its_source_and_needs_no_wal(tmp_path: Path, fake_settings: Settings) -> None:
    source, dest = tmp_path / "ix", tmp_path / "replica"
    build_index(_docs(4), source, settings=fake_settings)
    build_index(_docs(6), source, settings=fake_settings)  # appended in place: the source store is in WAL mode
    result = CliRunner().invoke(main, ["publish", str(dest), "--index", str(source)], env={"EGOV_QA_MODEL": "fake"})
    assert result.exit_code == 0, result.output
    assert "Published generation 2" in result.output and "6 documents" in result.output
    manifest = Manifest.read(dest)
    assert manifest.store_file == "store-2.sqlite" and [s.file for s in manifest.segments] == [
        "seg-1-0.faiss", "seg-2-0.faiss"
    ]  # fmt: skip
    with sqlite3.connect(dest / "store-2.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    replica, original = load_index(dest, settings=fake_settings), load_index(source, settings=fake_settings)
    assert replica.document_ids() == original.document_ids()
    for query in ("perizinan OSS", "kata5unik", "pengaduan"):
        assert _top(replica, query) == _top(original, query)


def test_a_publish_copies_only_new_segments_and_old_files_go_once_no_reader_needs_them(
    tmp_path: Path, fake_settings: Settings
) -> None:
    source, dest = tmp_path / "ix", tmp_path / "replica"
    build_index(_docs(4), source, settings=fake_settings)
    publish_index(source, dest)
    first = (dest / "seg-1-0.faiss").stat().st_mtime_ns
    old = load_index(dest, settings=fake_settings)  # a replica's reader of generation 1
    build_index(_docs(6), source, settings=fake_settings)
    publish_index(source, dest)
    assert (dest / "seg-1-0.faiss").stat().st_mtime_ns == first  # already there: not copied again
    build_index(_docs(7), source, settings=fake_settings)
    publish_index(source, dest, keep=0)
    assert (dest / "store-1.sqlite").is_file()  # generation 1 is still held by a reader
    assert old.document_ids() == [f"d{i}.txt" for i in range(4)] and _top(old, "kata3unik")[0][0] == "d3.txt"
    old.close()
    build_index(_docs(8), source, settings=fake_settings)
    publish_index(source, dest, keep=0)
    names = sorted(p.name for p in dest.iterdir() if not p.name.startswith("."))
    assert names == ["manifest.json", "seg-1-0.faiss", "seg-2-0.faiss", "seg-3-0.faiss", "seg-4-0.faiss",
                     "store-4.sqlite"]  # fmt: skip
    assert load_index(dest, settings=fake_settings).document_ids() == [f"d{i}.txt" for i in range(8)]


_SERVE = """
import json, sys, time
from pathlib import Path
import egov_qa
dest, out, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
index = egov_qa.load_index(dest, model="fake")
seen = []
out.with_suffix(".ready").write_text("1")
while not stop.exists():
    ids = index.document_ids()
    hits = index.search("kata1unik", top_k=3, mode="lexical", highlight=False)
    seen.append([index.manifest.generation, len(ids), hits[0].doc_id])
    time.sleep(0.01)
index.close()
index = egov_qa.load_index(dest, model="fake")  # after the publish: load again
seen.append([index.manifest.generation, len(index.document_ids()), "reloaded"])
out.write_text(json.dumps(seen))
"""


def test_two_processes_serve_one_generation_while_a_third_publishes_the_next(
    tmp_path: Path, fake_settings: Settings
) -> None:
    source, dest = tmp_path / "ix", tmp_path / "replica"
    build_index(_docs(4), source, settings=fake_settings)
    publish_index(source, dest)
    stop = tmp_path / "stop"
    env = {**os.environ, "EGOV_QA_MODEL": "fake"}
    servers = [
        subprocess.Popen([sys.executable, "-c", _SERVE, str(dest), str(tmp_path / f"serve{i}.json"), str(stop)], env=env)
        for i in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"serve{i}.ready").exists() for i in range(2)):
            assert time.monotonic() < deadline, "the serving processes did not start"
            time.sleep(0.05)
        build_index(_docs(6), source, settings=fake_settings)
        publisher = subprocess.run(
            [sys.executable, "-m", "egov_qa", "publish", str(dest), "--index", str(source)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert publisher.returncode == 0, publisher.stderr
        time.sleep(0.3)  # the servers go on answering after the swap
        stop.write_text("1")
        for server in servers:
            assert server.wait(timeout=60) == 0
    finally:
        for server in servers:
            server.kill()
    for i in range(2):
        seen = json.loads((tmp_path / f"serve{i}.json").read_text())
        serving, reloaded = seen[:-1], seen[-1]
        assert len(serving) > 10 and all(row == [1, 4, "d1.txt"] for row in serving)
        assert reloaded == [2, 6, "reloaded"]
