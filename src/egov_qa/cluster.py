"""Bulk ingest on a Ray cluster (the optional extra: ``pip install 'egov-qa[cluster]'``).

The driver lists the corpus files. Ray tasks read and clean them, a batch of files each (the
corpus must be at the same path on every node), and cut the new and changed documents into
chunks. An actor pool embeds the chunks, one model per actor, loaded on its machine the same
offline way as a local ingest (from the models folder), and checked to be the driver's build.
Batches come back as they are done; then the driver's one index writer stores everything, as
after a local ingest's embedding, with its guarantees: the incremental update by content hash,
the lock, the atomic swap, the skip reasons.

A lost worker (its node killed or gone) costs its batch: tasks are retried by Ray on another
node, and a lost actor's batch goes to the actors left. With none left, the ingest fails with a
message and the index stays as it was.
"""

from __future__ import annotations

import logging
import socket
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from egov_qa.chunking import ChunkParams
from egov_qa.corpus import CorpusRead, corpus_files, read_file
from egov_qa.embedding import Embedder, embed_pooled, get_embedder
from egov_qa.errors import ConfigError, CorpusError, EgovQAError
from egov_qa.evidence_vectors import UnitVectors
from egov_qa.records import Chunk, Document
from egov_qa.regulation import Regulation
from egov_qa.regulation.chunks import chunk_with_structure

logger = logging.getLogger(__name__)

Cut = tuple[list[Chunk], Regulation | None]
Progress = Callable[[int], None]  # called with how many more chunks are done


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """Where and how wide an ingest runs on Ray.

    ``address`` is a running cluster's (``ray start --head`` prints it; "auto" finds the local
    one); None starts a Ray runtime on this machine for the ingest. ``workers`` is the size of
    the embedding pool (default: one per CPU of the cluster), each actor running its model on
    ``cpus_per_worker`` threads; ``batch_size`` chunks go to an actor at a time and
    ``files_per_task`` files to a reading task.
    """

    address: str | None = None
    workers: int | None = None
    cpus_per_worker: int = 1
    batch_size: int = 16
    files_per_task: int = 8


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """How a worker loads the model: by name, on an engine, from a models folder on its machine."""

    name: str
    backend: str | None
    models_dir: str


_START_TIMEOUT = 300  # seconds for the workers to load the model
_MAX_LOSSES = 3  # workers a batch may lose before the ingest fails

_worker_models: dict[tuple[ModelSpec, int], Embedder] = {}


def _worker_embedder(spec: ModelSpec, threads: int) -> Embedder:
    """Load the model once per worker process."""
    key = (spec, threads)
    if key not in _worker_models:
        _worker_models[key] = get_embedder(
            spec.name, models_dir=Path(spec.models_dir), backend=spec.backend, threads=threads
        )
    return _worker_models[key]


def read_files(paths: Sequence[str], root: str) -> CorpusRead:
    """Read and clean corpus files (a Ray task): what :func:`egov_qa.corpus.read_corpus` does for each."""
    if not Path(root).is_dir():
        raise CorpusError(
            f"The corpus folder {root} is not on the Ray node {socket.gethostname()}: every node reads the corpus "
            f"at the same path (a shared folder)"
        )
    out = CorpusRead()
    for path in paths:
        read_file(Path(path), Path(root), out)
    return out


def cut_documents(jobs: Sequence[tuple[Document, ChunkParams]], spec: ModelSpec) -> list[Cut]:
    """Cut documents into chunks (a Ray task), counting tokens with the model's tokenizer."""
    embedder = _worker_embedder(spec, 1)
    return [chunk_with_structure(doc, embedder.count_tokens, params) for doc, params in jobs]


class EmbedWorker:
    """One model in one worker process (a Ray actor): embeds batches of chunk inputs."""

    def __init__(self, spec: ModelSpec, threads: int) -> None:
        """Load the model."""
        self.embedder = _worker_embedder(spec, threads)

    def ready(self) -> str:
        """Return the loaded model's fingerprint (the driver checks it is its own)."""
        return self.embedder.fingerprint()

    def embed(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[UnitVectors | None]]:
        """Embed chunk inputs and pool their evidence units, as the local ingest does."""
        return embed_pooled(self.embedder, texts, spans)


class RayCluster:
    """A connection to Ray for one ingest; use it as a context manager."""

    def __init__(self, options: ClusterOptions, spec: ModelSpec) -> None:
        """Remember where to run and which model the workers load."""
        self.options, self.spec = options, spec
        self._started = False

    def __enter__(self) -> RayCluster:
        """Join the cluster at the options' address, or start a local Ray runtime."""
        try:
            import ray
        except ImportError as exc:
            raise ConfigError("Ingesting on Ray needs the optional extra: pip install 'egov-qa[cluster]'") from exc
        self._ray = ray
        if not ray.is_initialized():
            address = self.options.address
            if address and address != "auto":
                _reachable(address)  # ray.init would wait for an unreachable address for ever
            try:
                ray.init(
                    address=address or "local", include_dashboard=False, log_to_driver=False, configure_logging=False
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise EgovQAError(f"Cannot reach a Ray cluster at {address!r}: {exc}") from exc
            self._started = True
        cpus = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        fit = max(1, cpus // max(1, self.options.cpus_per_worker))
        self.workers = min(self.options.workers or fit, fit)  # more would wait for CPUs that never come free
        logger.info("Ingesting on Ray: %d CPU(s), %d embedding worker(s)", cpus, self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        """Leave a runtime this ingest started."""
        if self._started:
            self._ray.shutdown()

    def _get(self, refs: list[Any]) -> list[Any]:
        """Return tasks' results; a task's own error is raised as itself (not wrapped in Ray's)."""
        from ray.exceptions import RayTaskError

        try:
            return list(self._ray.get(refs))
        except RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, Exception) else None
            if isinstance(cause, EgovQAError):
                raise cause from None
            raise EgovQAError(f"A Ray task failed: {cause or exc}") from None

    def read(self, root: Path) -> CorpusRead:
        """Read and clean every corpus file below ``root`` in Ray tasks; the result is in file order.

        The workers read the same path: the corpus must be on every node, at the same place.
        """
        root = root.resolve()
        if not root.is_dir():
            raise CorpusError(f"No corpus folder at {root}. Create it and put .txt/.md/.html/.pdf/.jsonl files in it.")
        files = [str(p) for p in corpus_files(root)]
        task = self._ray.remote(read_files).options(max_retries=3)
        size = max(1, self.options.files_per_task)
        refs = [task.remote(files[i : i + size], str(root)) for i in range(0, len(files), size)]
        out = CorpusRead()
        for part in self._get(refs):
            out.documents += part.documents
            out.skipped += part.skipped
            out.notes += part.notes
        return out

    def cut(self, jobs: Sequence[tuple[Document, ChunkParams]]) -> list[Cut]:
        """Cut documents into chunks in Ray tasks; the result is in the documents' order."""
        task = self._ray.remote(cut_documents).options(max_retries=3)
        size = max(1, self.options.files_per_task)
        refs = [task.remote(list(jobs[i : i + size]), self.spec) for i in range(0, len(jobs), size)]
        return [cut for part in self._get(refs) for cut in part]

    def _start_workers(self, fingerprint: str) -> deque[Any]:
        """Start the embedding pool; return the workers whose model loaded and is the driver's."""
        ray = self._ray
        actor = ray.remote(EmbedWorker).options(num_cpus=self.options.cpus_per_worker, max_restarts=0)
        workers = [actor.remote(self.spec, self.options.cpus_per_worker) for _ in range(self.workers)]
        checks = {worker.ready.remote(): worker for worker in workers}
        done, pending = ray.wait(list(checks), num_returns=len(checks), timeout=_START_TIMEOUT)
        ready: deque[Any] = deque()
        errors: list[str] = []
        for ref in done:
            try:
                theirs = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - whatever stopped the model loading on that node
                errors.append(str(getattr(exc, "cause", None) or exc).strip().splitlines()[-1])
                continue
            if theirs != fingerprint:
                ray.kill(checks[ref])
                errors.append(f"a worker's model is another build (fingerprint {theirs}, here {fingerprint})")
                continue
            ready.append(checks[ref])
        for ref in pending:
            ray.kill(checks[ref])
        if pending:
            logger.warning("%d embedding worker(s) did not start within %d s", len(pending), _START_TIMEOUT)
        if not ready:
            why = "; ".join(dict.fromkeys(errors)) or f"none started within {_START_TIMEOUT} s (are CPUs free?)"
            raise EgovQAError(f"No embedding worker could start on the Ray cluster: {why}")
        for error in dict.fromkeys(errors):
            logger.warning("An embedding worker could not start: %s", error)
        return ready

    def embed(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        fingerprint: str,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, list[UnitVectors | None]]:
        """Embed chunk inputs on the actor pool; batches come back as they are done, in any order.

        A worker lost with a batch in hand passes the batch on to the others; a batch that loses
        :data:`_MAX_LOSSES` workers (it crashes them) fails the ingest.
        """
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), []
        ray = self._ray
        from ray.exceptions import ObjectLostError, RayActorError, WorkerCrashedError

        started = time.perf_counter()
        idle = self._start_workers(fingerprint)
        loaded = time.perf_counter()
        size = max(1, self.options.batch_size)
        todo = deque((i, min(i + size, len(texts))) for i in range(0, len(texts), size))
        losses: dict[tuple[int, int], int] = {}
        running: dict[Any, tuple[Any, tuple[int, int]]] = {}
        vectors: np.ndarray | None = None
        units: list[UnitVectors | None] = [None] * len(texts)
        try:
            while todo or running:
                while todo and idle:
                    worker, (lo, hi) = idle.popleft(), todo.popleft()
                    running[worker.embed.remote(list(texts[lo:hi]), list(spans[lo:hi]))] = (worker, (lo, hi))
                if not running:
                    raise EgovQAError("Every embedding worker of the Ray cluster was lost; the index was not changed.")
                (ref,), _ = ray.wait(list(running), num_returns=1)
                worker, (lo, hi) = running.pop(ref)
                try:
                    batch, pooled = ray.get(ref)
                except (RayActorError, WorkerCrashedError, ObjectLostError) as exc:  # its node died, or it crashed
                    losses[(lo, hi)] = losses.get((lo, hi), 0) + 1
                    if losses[(lo, hi)] >= _MAX_LOSSES:
                        raise EgovQAError(
                            f"Chunks {lo}-{hi - 1} of this ingest crashed {_MAX_LOSSES} embedding workers; the index "
                            f"was not changed. The last error: {exc}"
                        ) from None
                    logger.warning("An embedding worker was lost (%s); its %d chunk(s) go to another", exc, hi - lo)
                    todo.appendleft((lo, hi))
                    continue
                if vectors is None:
                    vectors = np.zeros((len(texts), batch.shape[1]), dtype=np.float32)
                vectors[lo:hi] = batch
                units[lo:hi] = pooled
                if progress is not None:
                    progress(hi - lo)
                idle.append(worker)
        finally:
            for worker in _workers(idle, running):
                ray.kill(worker)
        assert vectors is not None
        seconds = time.perf_counter() - loaded
        logger.info(
            "Embedded %d chunks on %d Ray worker(s) in %.1f s (%.1f chunks/s), after %.1f s loading the model",
            len(texts), self.workers, seconds, len(texts) / seconds, loaded - started,
        )  # fmt: skip
        return vectors, units


def _reachable(address: str) -> None:
    """Raise EgovQAError unless something listens at a Ray address ("host:port")."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=5):
            return
    except (OSError, ValueError) as exc:
        raise EgovQAError(
            f"Cannot reach a Ray cluster at {address!r} ({exc}). Give the address `ray start --head` printed "
            f"(host:port), or --ray alone to start one on this machine."
        ) from None


def _workers(idle: deque[Any], running: dict[Any, tuple[Any, tuple[int, int]]]) -> Iterator[Any]:
    yield from idle
    yield from (worker for worker, _ in running.values())
