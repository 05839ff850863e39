"""How the command line prints ingest reports, hits and answers (text and JSON records)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from egov_qa.highlight import segments
from egov_qa.qa import labels
from egov_qa.records import Answer, Hit, IngestReport, SearchResult


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


def source_line(hit: Hit) -> str:
    """Return "doc id, p. N, date" for a hit."""
    parts = [hit.doc_id]
    if hit.page:
        parts.append(f"p. {hit.page}")
    if date := hit.metadata.get("date"):
        parts.append(str(date))
    return ", ".join(parts)


def hit_record(result: SearchResult, hit: Hit) -> dict[str, Any]:
    """Return one hit as a JSON record, with the query and its language and mode."""
    return {"query": result.query, "language": result.language, "mode": result.mode, **hit_record_fields(hit)}


def hit_record_fields(hit: Hit) -> dict[str, Any]:
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
    }


def answer_record(answer: Answer) -> dict[str, Any]:
    """Return an answer as a JSON-ready dict (evidence, hits with highlight and term offsets)."""
    return {
        "question": answer.question,
        "language": answer.language,
        "answered": answer.answered,
        "confidence": round(answer.confidence, 6),
        "threshold": answer.threshold,
        "message": answer.message,
        "evidence": [asdict(e) for e in answer.evidence],
        "hits": [
            {**hit_record_fields(h), "terms": [list(t) for t in h.terms], "sentences": [list(t) for t in h.sentences]}
            for h in answer.hits
        ],
    }


def print_answer(answer: Answer, color: bool) -> None:
    """Print an answer: message and confidence, evidence with citations, then the passages."""
    words = labels(answer.language)
    click.echo(f"{answer.message} ({words['confidence']} {answer.confidence:.3f})")
    if answer.evidence:
        click.echo(f"\n{words['evidence']}:")
    for i, ev in enumerate(answer.evidence, start=1):
        cite = [ev.title or ev.doc_id]
        if ev.page:
            cite.append(f"{words['page']} {ev.page}")
        if ev.date:
            cite.append(ev.date)
        text = click.style(ev.text, bold=True) if color else ev.text
        click.echo(f"  {i}. {' '.join(text.split())}\n     — {', '.join(cite)} [{ev.doc_id}]")
    click.echo(f"\n{words['passages']}:")
    for hit in answer.hits:
        print_hit(hit, color, heading=False)


def print_hit(hit: Hit, color: bool, *, heading: bool) -> None:
    """Print one passage: rank, score, title and source, its section heading if asked, the marked text."""
    click.echo(f"\n[{hit.rank}] {hit.score:.3f}  {hit.title or hit.doc_id}  ({source_line(hit)})")
    if heading and hit.heading:
        click.echo(f"    § {hit.heading}")
    click.echo(f"    {marked(hit, color)}")
