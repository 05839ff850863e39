"""The egov-qa command line: ingest, ask, search, eval, add, remove, serve, info, over the public API."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from egov_qa import (
    BACKENDS,
    DEFAULT_MODEL,
    MAX_TOP_K,
    MAX_UPLOAD_BYTES,
    MODES,
    ClusterOptions,
    Corpus,
    EgovQAError,
    Filters,
    Index,
    Manifest,
    Settings,
    __version__,
    build_index,
    compact_index,
    evaluate_index,
    load_index,
    management_access,
    publish_index,
    read_queries,
)
from egov_qa.cli_output import answer_record, hit_record, print_answer, print_hit, print_info, print_report

_LOCAL_RAY = "local"
_RAY_BATCH = 16
_INDEX_HELP = "Index folder [env EGOV_QA_INDEX_DIR; default index/]."
_MODE_HELP = "hybrid: embeddings + BM25 fused per query; dense: embeddings only; lexical: BM25 only."
F = TypeVar("F", bound=Callable[..., Any])


def _retrieval_options(func: F) -> F:
    """Add --mode and the metadata filters to a command."""
    options = [
        click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True, help=_MODE_HELP),
        click.option("--type", "doc_types", multiple=True, help="Only documents of this type (repeatable), e.g. UU."),
        click.option("--year-from", type=int, help="Only documents from this year on."),
        click.option("--year-to", type=int, help="Only documents up to this year."),
        click.option("--source", "sources", multiple=True, help="Only documents whose source contains this text."),
        click.option("--category", "categories", multiple=True, help="Only documents of this category (repeatable)."),
        click.option(
            "--hide-repealed", is_flag=True, help="Leave out regulations that an indexed regulation repeals whole."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filters(opts: dict[str, Any]) -> Filters:
    return Filters(
        doc_types=tuple(opts["doc_types"]),
        year_from=opts["year_from"],
        year_to=opts["year_to"],
        sources=tuple(opts["sources"]),
        categories=tuple(opts["categories"]),
        hide_repealed=bool(opts.get("hide_repealed")),
    )


_MODEL_HELP = f"sentence-transformers model name or local folder [env EGOV_QA_MODEL; default {DEFAULT_MODEL}]."
_BACKEND_HELP = (
    "Engine that runs the model [env EGOV_QA_BACKEND; default: the index's own, else onnx (int8) for the "
    "default model and sentence-transformers for any other]."
)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except EgovQAError as exc:
        raise click.ClickException(str(exc)) from exc


def _open(
    ctx: click.Context, index_dir: Path | None, model: str | None, filters: dict[str, Any]
) -> tuple[Index, Filters]:
    """Read the filter options and load the index, as search and ask both do."""
    s = _settings(ctx).with_overrides(index_dir=index_dir, model=model)
    with _errors():
        wanted = _filters(filters)
        return load_index(s.index_dir, model=s.model, settings=s), wanted


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@click.group()
@click.version_option(__version__, prog_name="egov-qa")
@click.option("-v", "--verbose", is_flag=True, help="Log details to stderr.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Search and question Indonesian e-government texts in Indonesian or English."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("egov_qa").setLevel(logging.INFO)
    ctx.obj = Settings.from_env()


def _progress_bar() -> tuple[Callable[[int, int], None], Callable[[], None]]:
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit="chunk", desc="Embedding", file=sys.stderr, dynamic_ncols=True)
        bar["bar"].update(done - bar["bar"].n)

    def close() -> None:
        if "bar" in bar:
            bar["bar"].close()

    return update, close


@main.command()
@click.argument("corpus", required=False, type=click.Path(path_type=Path))
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.option("--model", help=_MODEL_HELP)
@click.option("--backend", type=click.Choice(BACKENDS), help=_BACKEND_HELP)
@click.option("--full", is_flag=True, help="Rebuild from scratch (re-embed everything).")
@click.option(
    "--ray", "ray_address", is_flag=False, flag_value=_LOCAL_RAY, default=None, metavar="[ADDRESS]",
    help="Read, cut and embed on a Ray cluster (pip install 'egov-qa[cluster]'): at ADDRESS, or a local one.",
)  # fmt: skip
@click.option("--ray-workers", type=click.IntRange(1), help="Embedding workers on Ray [default: one per CPU].")
@click.option(
    "--ray-batch", default=_RAY_BATCH, show_default=True, type=click.IntRange(1), help="Chunks per Ray batch."
)
@click.pass_context
def ingest(
    ctx: click.Context,
    corpus: Path | None,
    index_dir: Path | None,
    model: str | None,
    backend: str | None,
    full: bool,
    ray_address: str | None,
    ray_workers: int | None,
    ray_batch: int,
) -> None:
    """Index CORPUS (a folder of .txt/.md/.html/.pdf/.jsonl; default corpus/ or EGOV_QA_CORPUS_DIR).

    Only new or changed documents are embedded; deleted ones are removed.
    """
    s = _settings(ctx).with_overrides(corpus_dir=corpus, index_dir=index_dir, model=model, backend=backend)
    click.echo(f"Reading {s.corpus_dir} into {s.index_dir} …", err=True)
    update, close = _progress_bar()
    cluster = None
    if ray_address is None and (ray_workers is not None or ray_batch != _RAY_BATCH):
        raise click.UsageError("--ray-workers and --ray-batch go with --ray")
    if ray_address is not None:
        address = None if ray_address == _LOCAL_RAY else ray_address
        if address is not None and Path(address).exists():
            raise click.UsageError(
                f"--ray took {address!r} as the Ray cluster's address; put the corpus before it "
                f"(egov-qa ingest {address} --ray), or write --ray=ADDRESS"
            )
        cluster = ClusterOptions(address=address, workers=ray_workers, batch_size=ray_batch)
    with _errors():
        try:
            report = build_index(
                s.corpus_dir, s.index_dir, model=s.model, full=full, settings=s, progress=update, cluster=cluster
            )
        finally:
            close()
    print_report(report, s.index_dir)


@main.command()
@click.argument("question")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.option("--model", help="Model to load; must be the one the index was built with.")
@click.option(
    "-k", "--top-k", default=5, show_default=True, type=click.IntRange(1, MAX_TOP_K), help="Number of passages (≤ 100)."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON record per hit.")
@_retrieval_options
@click.pass_context
def search(
    ctx: click.Context,
    /,
    question: str,
    index_dir: Path | None,
    model: str | None,
    top_k: int,
    as_json: bool,
    mode: str,
    **filters: Any,
) -> None:
    """Find the passages that answer QUESTION (Indonesian or English)."""
    index, wanted = _open(ctx, index_dir, model, filters)
    with _errors():
        result = index.search(question, top_k=top_k, mode=mode, filters=wanted)  # type: ignore[arg-type]
    if as_json:
        for hit in result:
            click.echo(json.dumps(hit_record(result, hit), ensure_ascii=False))
        return
    lang = {"id": "Indonesian", "en": "English"}.get(result.language, result.language)
    click.echo(f"Question language: {lang}" + (" (question cut to the model's limit)" if result.truncated else ""))
    if not len(result):
        click.echo("No passages match the filters." if wanted.active else "No passages: the index is empty.")
    color = sys.stdout.isatty()
    for hit in result:
        print_hit(hit, color, language=result.language, heading=True)


@main.command()
@click.argument("question")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.option("--model", help="Model to load; must be the one the index was built with.")
@click.option(
    "-k",
    "--top-k",
    default=5,
    show_default=True,
    type=click.IntRange(1, MAX_TOP_K),
    help="Passages to draw from (≤ 100).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    help="Probability (0-1) below which egov-qa says it found no answer (default: the measured operating point).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@_retrieval_options
@click.pass_context
def ask(
    ctx: click.Context,
    /,
    question: str,
    index_dir: Path | None,
    model: str | None,
    top_k: int,
    threshold: float | None,
    as_json: bool,
    mode: str,
    **filters: Any,
) -> None:
    """Answer QUESTION with the sentences that answer it and their sources, or say none was found."""
    index, wanted = _open(ctx, index_dir, model, filters)
    with _errors():
        answer = index.ask(question, top_k=top_k, threshold=threshold, mode=mode, filters=wanted)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps(answer_record(answer), ensure_ascii=False))
    else:
        print_answer(answer, sys.stdout.isatty())


# Streamlit started with its external-address lookup (a request to a third-party service, made
# for the startup banner and for checking request origins) answered in advance with "none", and
# the index and its model loading in the background as the server starts (the app picks them up).
_LAUNCH = (
    "import sys, streamlit.net_util as n; n._external_ip = ''; "
    "import egov_qa; egov_qa.warm_up(); "
    "from streamlit.web.cli import main; sys.argv = ['streamlit', *sys.argv[1:]]; sys.exit(main())"
)
_ACCESS_NOTE = {
    "open": "Corpus management is open: the app listens on this machine only.",
    "password": "Corpus management needs the admin password.",
    "closed": "Corpus management is off (read-only): the app is reachable from the network and no "
    "--admin-password or EGOV_QA_ADMIN_PASSWORD was given.",
}


def _find_app() -> Path:
    """Locate app.py: beside the package's source tree (editable install) or in the current folder."""
    for candidate in (Path(__file__).resolve().parents[2] / "app.py", Path.cwd() / "app.py"):
        if candidate.is_file():
            return candidate
    raise click.ClickException(
        "app.py not found: egov-qa serve runs the app of an egov-qa checkout. "
        "Run it from the repository folder (pip install -e . there)."
    )


@main.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder [env EGOV_QA_CORPUS_DIR].")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--host", default="localhost", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option(
    "--admin-password",
    help="Password that unlocks corpus management in the app [env EGOV_QA_ADMIN_PASSWORD]; "
    "without one, the corpus is read-only unless the app listens on this machine only.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    index_dir: Path | None,
    corpus_dir: Path | None,
    port: int,
    host: str,
    admin_password: str | None,
) -> None:
    """Start the web app (Streamlit) on http://HOST:PORT over the index and corpus folders.

    Nothing is sent anywhere: usage statistics are off and Streamlit's lookup of this machine's
    external address is disabled.
    """
    s = _settings(ctx).with_overrides(
        index_dir=index_dir, corpus_dir=corpus_dir, admin_password=admin_password, server_address=host
    )
    command = [
        sys.executable, "-c", _LAUNCH, "run", str(_find_app()),
        "--server.port", str(port), "--server.address", host,
        "--server.headless", "true", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
        "--server.fileWatcherType", "none",
        "--server.maxUploadSize", str(MAX_UPLOAD_BYTES // 2**20),
    ]  # fmt: skip
    access = management_access(s, s.server_address)
    click.echo(f"egov-qa app on http://{host}:{port} (index {s.index_dir}, corpus {s.corpus_dir}); Ctrl-C stops it.")
    click.echo(_ACCESS_NOTE[access])
    sys.stdout.flush()
    # this process becomes the server: a stop signal reaches Streamlit itself, and no server is left behind
    os.execve(sys.executable, command, s.child_env())


@main.command()
@click.argument("source")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder [env EGOV_QA_CORPUS_DIR].")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.option("--overwrite", is_flag=True, help="Replace a corpus file of the same name.")
@click.option("--no-ingest", is_flag=True, help="Only save the file; do not update the index.")
@click.pass_context
def add(
    ctx: click.Context, source: str, corpus_dir: Path | None, index_dir: Path | None, overwrite: bool, no_ingest: bool
) -> None:
    """Add SOURCE (a file, or an http(s) URL whose main text is extracted) to the corpus and update the index.

    A file of the same name in the corpus is only replaced with --overwrite; a web page is
    named after its title, and fetched again only with --overwrite. Pages on this machine or its
    private network are refused unless their host is in EGOV_QA_ALLOWED_HOSTS.
    """
    s = _settings(ctx).with_overrides(corpus_dir=corpus_dir, index_dir=index_dir)
    corpus = Corpus(s)
    with _errors():
        if source.startswith(("http://", "https://")):
            report = corpus.add_url(source, overwrite=overwrite, update=False)
        else:
            path = Path(source)
            if not path.is_file():
                raise click.ClickException(f"No file {source}")
            report = corpus.add_file(path.name, path.read_bytes(), overwrite=overwrite, update=False)
    for name in report.saved:
        click.echo(f"{'Replaced' if name in report.replaced else 'Saved'} {s.corpus_dir / name}")
    if not no_ingest:
        ctx.invoke(ingest, corpus=s.corpus_dir, index_dir=s.index_dir, model=None, full=False)


@main.command()
@click.argument("doc_id")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder [env EGOV_QA_CORPUS_DIR].")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.pass_context
def remove(ctx: click.Context, doc_id: str, corpus_dir: Path | None, index_dir: Path | None) -> None:
    """Delete DOC_ID's file from the corpus and update the index.

    A symbolic link is removed itself, never the file it points to. A document from a JSON Lines
    file (``file.jsonl#id``) is one line of that file: remove the whole file, or edit it.
    """
    s = _settings(ctx).with_overrides(corpus_dir=corpus_dir, index_dir=index_dir)
    with _errors():
        report = Corpus(s).remove(doc_id, update=False)
    for name in report.removed:
        click.echo(f"Deleted {s.corpus_dir / name}")
    ctx.invoke(ingest, corpus=s.corpus_dir, index_dir=s.index_dir, model=None, full=False)


@main.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.pass_context
def compact(ctx: click.Context, index_dir: Path | None) -> None:
    """Merge the index's segments into one and drop what removed documents left behind.

    Ingests merge small segments by themselves; run this after removing many documents, or to
    have one HNSW graph over a large index. Nothing is embedded again.
    """
    s = _settings(ctx).with_overrides(index_dir=index_dir)
    with _errors():
        before = Manifest.read(s.index_dir)
        click.echo(f"Compacting {s.index_dir} ({len(before.segments)} segment(s)) …", err=True)
        after = compact_index(s.index_dir)
    dropped = sum(seg.dead for seg in before.segments)
    kinds = ", ".join(f"{seg.kind} of {seg.count:,} vectors" for seg in after.segments) or "no vectors"
    click.echo(
        f"Compacted {s.index_dir}: {len(before.segments)} segment(s) -> {len(after.segments)} ({kinds}); "
        f"{dropped:,} removed chunk vector(s) dropped; generation {after.generation}."
    )


@main.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.option(
    "--keep", default=1, show_default=True, type=click.IntRange(0),
    help="Earlier generations whose files stay in DEST for readers that hold no lock there.",
)  # fmt: skip
@click.pass_context
def publish(ctx: click.Context, dest: Path, index_dir: Path | None, keep: int) -> None:
    """Copy the index's current generation to DEST, for read-only replicas to serve.

    Only segment files DEST lacks are copied, with a consistent copy of the store; the manifest
    is swapped in last. Replicas keep their generation until they load the index again.
    """
    s = _settings(ctx).with_overrides(index_dir=index_dir)
    with _errors():
        m = publish_index(s.index_dir, dest, keep=keep)
    click.echo(
        f"Published generation {m.generation} of {s.index_dir} to {dest} ({m.documents} documents, {m.chunks} chunks)."
    )


@main.command(name="eval")
@click.argument("queries", type=click.Path(path_type=Path))
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.option("--model", help="Model to load; must be the one the index was built with.")
@click.option(
    "--mode",
    "modes",
    type=click.Choice(MODES),
    multiple=True,
    help="Mode(s) to evaluate (repeatable) [default: all three, side by side].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@click.pass_context
def evaluate_cmd(
    ctx: click.Context, queries: Path, index_dir: Path | None, model: str | None, modes: tuple[str, ...], as_json: bool
) -> None:
    """Measure retrieval on QUERIES, a JSON Lines file of {"query": ..., "relevant": [doc ids]}.

    Prints R@1, R@5, R@10, MRR@10 and nDCG@10 per mode, with documents as the unit: a
    document counts once, at its best passage.
    """
    from tqdm import tqdm

    s = _settings(ctx).with_overrides(index_dir=index_dir, model=model)
    results: dict[str, dict[str, float]] = {}
    with _errors():
        items = read_queries(queries)
        index = load_index(s.index_dir, model=s.model, settings=s)
        for mode in modes or MODES:
            with tqdm(total=len(items), desc=mode, unit="q", file=sys.stderr, dynamic_ncols=True) as bar:

                def tick(done: int, _total: int, bar: Any = bar) -> None:
                    bar.update(done - bar.n)

                results[mode] = evaluate_index(index, items, mode=mode, progress=tick)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps({"queries": len(items), "index": str(s.index_dir), "results": results}, indent=2))
        return
    columns = list(next(iter(results.values())))
    click.echo(f"{len(items)} queries, index {s.index_dir}\n")
    click.echo(f"{'mode':<8}" + "".join(f"{c:>9}" for c in columns))
    for mode, metrics in results.items():
        click.echo(f"{mode:<8}" + "".join(f"{metrics[c]:>9.3f}" for c in columns))


@main.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.pass_context
def info(ctx: click.Context, index_dir: Path | None, as_json: bool) -> None:
    """Show what the index holds and what it was built with."""
    s = _settings(ctx).with_overrides(index_dir=index_dir)
    with _errors():
        manifest = Manifest.read(s.index_dir)
    if as_json:
        click.echo(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_info(manifest, s.index_dir)
