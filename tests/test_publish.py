"""Publishing generations to a folder that replicas serve: copies, incremental copies, readers in other processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from egov_qa import Document, IndexNotFoundError, Settings, build_index, load_index, publish_index
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
        subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(dest), str(tmp_path / f"serve{i}.json"), str(stop)], env=env
        )
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


def test_by_default_the_previous_generation_stays_for_readers_without_a_lock(
    tmp_path: Path, fake_settings: Settings
) -> None:
    source, dest = tmp_path / "ix", tmp_path / "replica"
    for n in (3, 4, 5):
        build_index(_docs(n), source, settings=fake_settings)
        publish_index(source, dest)  # keep=1
    names = {p.name for p in dest.iterdir() if not p.name.startswith(".")}
    assert {"store-2.sqlite", "store-3.sqlite"} <= names and "store-1.sqlite" not in names
    assert Manifest.read(dest).retired == (("store-2.sqlite", 3),)


def test_a_publish_that_fails_midway_leaves_the_replica_as_it_was(
    tmp_path: Path, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import egov_qa.publish

    source, dest = tmp_path / "ix", tmp_path / "replica"
    build_index(_docs(3), source, settings=fake_settings)
    publish_index(source, dest)
    build_index(_docs(5), source, settings=fake_settings)

    def disk_full(src: Path, target: Path) -> None:
        target.with_name(target.name + ".tmp").write_bytes(b"half a store")
        raise OSError("No space left on device")

    monkeypatch.setattr(egov_qa.publish, "_copy_store", disk_full)
    with pytest.raises(OSError, match="No space"):
        publish_index(source, dest)
    monkeypatch.undo()
    assert (dest / "seg-2-0.faiss").is_file()  # copied before the failure, named by no manifest yet
    replica = load_index(dest, settings=fake_settings)
    assert replica.manifest.generation == 1 and len(replica.document_ids()) == 3
    replica.close()
    publish_index(source, dest)
    assert not list(dest.glob("*.tmp"))
    assert load_index(dest, settings=fake_settings).document_ids() == [f"d{i}.txt" for i in range(5)]


def test_publishing_the_same_generation_again_copies_nothing(tmp_path: Path, fake_settings: Settings) -> None:
    source, dest = tmp_path / "ix", tmp_path / "replica"
    build_index(_docs(3), source, settings=fake_settings)
    publish_index(source, dest)
    inode = (dest / "store-1.sqlite").stat().st_ino
    assert publish_index(source, dest).generation == 1
    assert (dest / "store-1.sqlite").stat().st_ino == inode  # replicas' open store left alone


def test_a_copy_of_another_index_or_the_index_itself_is_refused(tmp_path: Path, fake_settings: Settings) -> None:
    from egov_qa import EgovQAError

    source, dest = tmp_path / "ix", tmp_path / "replica"
    build_index(_docs(3), source, settings=fake_settings)
    publish_index(source, dest)
    build_index(_docs(2), tmp_path / "other", settings=fake_settings)
    with pytest.raises(EgovQAError, match="holds a copy of another index"):
        publish_index(tmp_path / "other", dest)
    with pytest.raises(EgovQAError, match="is the index itself"):
        publish_index(source, source)
    with pytest.raises(EgovQAError, match=r"is a published copy of .*egov-qa publish"):
        build_index(_docs(4), dest, settings=fake_settings)
    assert not (tmp_path / "typo").exists()
    with pytest.raises(IndexNotFoundError):
        publish_index(tmp_path / "typo", dest)
    assert not (tmp_path / "typo").exists()  # a mistyped source creates nothing


def test_the_store_copy_holds_what_is_still_in_the_write_ahead_log(tmp_path: Path) -> None:
    from egov_qa.publish import _copy_store

    db = sqlite3.connect(tmp_path / "wal.sqlite")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db.execute("CREATE TABLE t (x)")
    db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    db.commit()
    assert (tmp_path / "wal.sqlite-wal").stat().st_size > 0  # the rows are in the log, not the file
    _copy_store(tmp_path / "wal.sqlite", tmp_path / "copy.sqlite")
    db.close()
    with sqlite3.connect(tmp_path / "copy.sqlite") as copy:
        assert copy.execute("SELECT COUNT(*) FROM t").fetchone() == (100,)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
