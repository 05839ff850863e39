"""Choosing evidence sentences from their scores: pure functions over offsets, no HTML."""

from __future__ import annotations

from collections.abc import Sequence

Span = tuple[int, int]
MARGIN = 0.02
MAX_SENTENCES = 2


def select_highlights(
    spans: Sequence[Span], scores: Sequence[float], *, margin: float = MARGIN, limit: int = MAX_SENTENCES
) -> tuple[Span, ...]:
    """Return the best-scoring sentence span, plus others within ``margin`` of it (at most ``limit``).

    Spans come back in text order. A passage with no sentence spans gets no highlight.
    """
    if not spans:
        return ()
    if len(spans) != len(scores):
        raise ValueError(f"{len(spans)} spans but {len(scores)} scores")
    best = max(scores)
    ranked = sorted(range(len(spans)), key=lambda i: -scores[i])
    chosen = [i for i in ranked[:limit] if scores[i] >= best - margin]
    return tuple(spans[i] for i in sorted(chosen))


def sentence_spans(text: str, spans: Sequence[Span]) -> list[Span]:
    """Return the stored sentence spans of a passage, or the whole passage when it has none."""
    valid = [(s, e) for s, e in spans if 0 <= s < e <= len(text)]
    if valid:
        return valid
    stripped = text.strip()
    if not stripped:
        return []
    start = text.index(stripped[0])
    return [(start, start + len(stripped))]


def segments(text: str, sentences: Sequence[Span], terms: Sequence[Span] = ()) -> list[tuple[str, bool, bool]]:
    """Cut ``text`` into runs of ``(piece, in_evidence_sentence, is_matched_term)``.

    Spans may overlap or fall partly outside the text; they are clipped. Joining the pieces gives
    back ``text`` exactly, so a renderer can escape each piece and wrap it as it likes.
    """
    n = len(text)
    cuts = {0, n}
    for s, e in (*sentences, *terms):
        cuts.update((min(max(s, 0), n), min(max(e, 0), n)))
    points = sorted(cuts)

    def inside(spans: Sequence[Span], a: int, b: int) -> bool:
        return any(s <= a and b <= e for s, e in spans)

    out: list[tuple[str, bool, bool]] = []
    for a, b in zip(points, points[1:], strict=False):
        if a == b:
            continue
        flags = (inside(sentences, a, b), inside(terms, a, b))
        if out and (out[-1][1], out[-1][2]) == flags:
            out[-1] = (out[-1][0] + text[a:b], *flags)
        else:
            out.append((text[a:b], *flags))
    return out
