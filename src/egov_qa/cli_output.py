"""How the command line prints ingest reports, index info, hits and answers (text and JSON records)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from egov_qa import (
    Answer,
    Citation,
    Evidence,
    Hit,
    IngestReport,
    Manifest,
    SearchResult,
    confidence_text,
    labels,
    segments,
)


def print_report(report: IngestReport, index_dir: Path) -> None:
    """Print what an ingest did, every skipped input with its reason, and the index totals."""
    click.echo(
        f"Added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
        f"unchanged {len(report.unchanged)}, skipped {len(report.skipped)}; "
        f"embedded {report.chunks_embedded} chunks in {report.seconds:.1f} s."
    )
    for label, items in (("Skipped", report.skipped), ("Note", report.notes)):
        for item in items:
            click.echo(f"  {label}: {item.source}: {item.reason}")
    click.echo(f"Index {index_dir}: {report.total_documents} documents, {report.total_chunks} chunks.")


def marked(hit: Hit, color: bool) -> str:
    """Render the passage: evidence sentences as [[…]], matched question words as *…* (styled on a terminal)."""
    out, open_sentence = [], False
    for piece, sentence, term in segments(hit.text, hit.highlights, hit.terms):
        if color:
            out.append(click.style(piece, bold=sentence or term, underline=sentence, fg="yellow" if term else None))
            continue
        if sentence != open_sentence:
            out.append("[[" if sentence else "]]")
            open_sentence = sentence
        out.append(f"*{piece}*" if term else piece)
    if open_sentence:
        out.append("]]")
    return " ".join("".join(out).split())


def citation_record(citation: Citation, language: str) -> dict[str, Any]:
    """Return a citation as a JSON-ready dict, with its one-line text (and status) in ``language``.

    A regulation's location is given as fields (part, pasal, ayat, huruf, angka, bab, bagian,
    paragraf); its ``regulation`` names it and the indexed regulations that amend or repeal it.
    """
    record = {**asdict(citation), "text": citation.text(language), "status": citation.status(language)}
    loc, reg = citation.location, citation.regulation
    record["location"] = None
    if loc is not None:
        items = dict(loc.path)
        record["location"] = {
            "part": loc.part, "pasal": loc.pasal or None, "ayat": items.get("ayat"), "huruf": items.get("huruf"),
            "angka": items.get("angka"), "bab": loc.bab or None, "bagian": loc.bagian or None,
            "paragraf": loc.paragraf or None, "text": loc.text(language),
        }  # fmt: skip
    if reg is not None:
        record["regulation"] = {**asdict(reg), "name": reg.name(language)}
    return record


def _cited(citation: Citation, language: str) -> str:
    """Return a citation line with the regulation's status: "UU 11/2008 Pasal 27 (diubah dengan UU 19/2016)"."""
    status = citation.status(language)
    return f"{citation.text(language)} ({status})" if status else citation.text(language)


def hit_record(result: SearchResult, hit: Hit) -> dict[str, Any]:
    """Return one hit as a JSON record, with the query and its language and mode."""
    return {
        "query": result.query, "language": result.language, "mode": result.mode,
        **hit_record_fields(hit, result.language),
    }  # fmt: skip


def hit_record_fields(hit: Hit, language: str) -> dict[str, Any]:
    """Return a hit's fields as a JSON-ready dict."""
    return {
        "rank": hit.rank,
        "score": round(hit.score, 6),
        "doc_id": hit.doc_id,
        "title": hit.title,
        "heading": hit.heading,
        "page": hit.page,
        "start": hit.start,
        "end": hit.end,
        "text": hit.text,
        "highlights": [list(h) for h in hit.highlights],
        "highlight_text": [hit.text[s:e] for s, e in hit.highlights],
        "dense_score": hit.dense_score,
        "lexical_score": hit.lexical_score,
        "metadata": dict(hit.metadata),
        "citation": citation_record(hit.citation, language),
    }


def evidence_record(ev: Evidence, language: str) -> dict[str, Any]:
    """Return one evidence sentence as a JSON-ready dict, its citation included."""
    return {
        "text": ev.text, "doc_id": ev.doc_id, "score": round(ev.score, 6), "hit_rank": ev.hit_rank,
        "answer": list(ev.answer) if ev.answer else None, "short_answer": ev.short_answer,
        "chunk_id": ev.chunk_id, "start": ev.start, "end": ev.end, "chunk_start": ev.chunk_start,
        "chunk_end": ev.chunk_end, "citation": citation_record(ev.citation, language),
    }  # fmt: skip


def answer_record(answer: Answer) -> dict[str, Any]:
    """Return an answer as a JSON-ready dict (evidence, hits with highlight and term offsets)."""
    return {
        "question": answer.question,
        "language": answer.language,
        "answered": answer.answered,
        "confidence": round(answer.confidence, 6),
        "confidence_level": answer.level,
        "threshold": answer.threshold,
        "short_answer": answer.short_answer,
        "message": answer.message,
        "evidence": [evidence_record(e, answer.language) for e in answer.evidence],
        "hits": [
            {
                **hit_record_fields(h, answer.language),
                "terms": [list(t) for t in h.terms],
                "sentences": [list(t) for t in h.sentences],
            }
            for h in answer.hits
        ],
    }


def print_answer(answer: Answer, color: bool) -> None:
    """Print an answer: message and confidence, evidence with citations, then the passages."""
    words = labels(answer.language)
    click.echo(f"{answer.message} ({confidence_text(answer.confidence, answer.level, answer.language)})")
    if answer.short_answer:
        short = click.style(answer.short_answer, bold=True) if color else answer.short_answer
        click.echo(f"{words['short_answer']}: {short}")
    if answer.evidence:
        click.echo(f"\n{words['evidence']}:")
    for i, ev in enumerate(answer.evidence, start=1):
        text = click.style(ev.text, bold=True) if color else ev.text
        click.echo(f"  {i}. {' '.join(text.split())}\n     — {_cited(ev.citation, answer.language)} [{ev.doc_id}]")
    click.echo(f"\n{words['passages']}:")
    for hit in answer.hits:
        print_hit(hit, color, language=answer.language, heading=False)


def print_hit(hit: Hit, color: bool, *, language: str, heading: bool) -> None:
    """Print one passage: rank, its citation and id, its section heading if asked, the marked text.

    No score: a retrieval score has no scale a reader can use (the JSON output has it).
    """
    click.echo(f"\n[{hit.rank}] {_cited(hit.citation, language)}  [{hit.doc_id}]")
    if heading and hit.heading:
        click.echo(f"    § {hit.heading}")
    click.echo(f"    {marked(hit, color)}")


def print_info(m: Manifest, index_dir: Path) -> None:
    """Print what an index holds and what it was built with, and what its last ingest skipped."""
    last = m.last_ingest
    click.echo(f"Index:      {index_dir} (format {m.format_version}, generation {m.generation})")
    click.echo(f"Documents:  {m.documents}   Chunks: {m.chunks}")
    click.echo(f"Model:      {m.model.name} (dim {m.model.dimension}, fingerprint {m.model.fingerprint})")
    click.echo(f"Engine:     {m.model.backend}")
    parts = " + ".join(f"{seg.kind} {seg.count:,}" for seg in m.segments) or "none"
    dead = sum(seg.dead for seg in m.segments)
    click.echo(
        f"Vectors:    {len(m.segments)} segment(s): {parts}"
        + (f" ({dead:,} of removed chunks, dropped by: egov-qa compact)" if dead else "")
    )
    click.echo(f"Prompts:    query {m.model.query_prompt!r}, passage {m.model.passage_prompt!r}")
    click.echo(f"Chunking:   {dict(m.chunking)}")
    if m.has_lexical:
        click.echo(f"Lexical:    {m.lexical_engine} (analyser {m.analyzer})")
    else:
        click.echo("Lexical:    none or from an older analyser (run ingest again to rebuild it, no re-embedding)")
    click.echo(f"Built:      {m.built_at} by egov-qa {m.egov_qa_version}")
    click.echo(
        f"Last ingest: added {last.added}, updated {last.updated}, removed {last.removed}, "
        f"unchanged {last.unchanged}, skipped {len(last.skipped)}"
    )
    for item in last.skipped:
        click.echo(f"  Skipped: {item.source}: {item.reason}")
