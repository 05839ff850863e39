"""Drawing answers and passages: corpus text escaped for HTML and Markdown, evidence and terms marked."""

from __future__ import annotations

import html
import re
from typing import Any

import streamlit as st
from app_state import FILTER_PARAMS, forget_widgets, t

from egov_qa import (
    Answer,
    Filters,
    Hit,
    Index,
    confidence_text,
    interface,
    labels,
    load_glossary,
    segments,
)

# every character that HTML or Markdown could read as markup becomes a character reference: an
# escaped document can neither open a tag nor make a link, an image, a heading, math or an emoji
_MARKUP = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+-.!|~$:@/="})

_LINE_ENDS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")


def plain(text: str) -> str:
    """Return text (a message quoting a file name, a URL, a reader's error) that Markdown shows as it is."""
    return _LINE_ENDS.sub("\n", text).translate(_MARKUP)


def say(message: str) -> str:
    """Return a library message in the interface language, shown as plain text (it quotes names and URLs)."""
    return plain(interface.in_language(message, str(st.session_state.get("ui_lang", "id"))))


def safe(text: str) -> str:
    """Return corpus text as inert HTML for st.markdown: HTML and Markdown escaped, line breaks kept."""
    return plain(text).replace("\n", "<br>")


Gloss = tuple[int, int, str]


def _glosses(text: str) -> list[Gloss]:
    """Return the glossary terms of a whole text for English readers (none for Indonesian ones)."""
    return load_glossary().glosses(text) if st.session_state.get("ui_lang") == "en" else []


def glossed(text: str, glosses: list[Gloss] | None = None, offset: int = 0) -> str:
    """Escape ``text``; glossary terms get their English on hover (<abbr title>).

    ``glosses`` were found in the whole passage that ``text`` starts ``offset`` characters into,
    so a term that a mark cuts in two keeps its own gloss on both halves.
    """
    glosses = _glosses(text) if glosses is None else glosses
    out, pos, end_of_piece = [], 0, len(text)
    for start, end, english in glosses:
        start, end = max(start - offset, 0), min(end - offset, end_of_piece)
        if start >= end or start < pos:
            continue
        out.append(safe(text[pos:start]))
        out.append(f'<abbr class="gloss" title="{html.escape(english, quote=True)}">{safe(text[start:end])}</abbr>')
        pos = end
    out.append(safe(text[pos:]))
    return "".join(out)


def answer_sentence_html(text: str, answer: tuple[int, int] | None) -> str:
    """Escape the evidence sentence, with its short answer (if any) in bold; glosses kept.

    The line breaks of a PDF's layout inside the sentence are spaces here (same length, so the
    short answer's offsets hold): one sentence reads as one paragraph.
    """
    text = text.replace("\n", " ")
    if not answer:
        return glossed(text)
    glosses, (start, end) = _glosses(text), answer
    return (
        glossed(text[:start], glosses)
        + f"<strong>{glossed(text[start:end], glosses, start)}</strong>"
        + glossed(text[end:], glosses, end)
    )


def passage_html(text: str, sentences: Any, terms: Any) -> str:
    """Escape the passage, then wrap evidence sentences and matched terms in <mark> (glossary terms in <abbr>)."""
    out, offset, glosses = [], 0, _glosses(text)
    for piece, in_sentence, is_term in segments(text, sentences, terms):
        piece_html = glossed(piece, glosses, offset)
        offset += len(piece)
        if is_term:
            piece_html = f'<mark class="term">{piece_html}</mark>'
        out.append(f'<mark class="ev">{piece_html}</mark>' if in_sentence else piece_html)
    return "".join(out)


def render_examples() -> None:
    """Offer example questions, the interface language's first; a click asks it."""
    st.caption(t("examples"))
    first = str(st.session_state.get("ui_lang", "id"))
    for lang in sorted(interface.EXAMPLES, key=lambda lang: lang != first):
        for i, text in enumerate(interface.EXAMPLES[lang]):
            st.button(text, key=f"ex-{lang}-{i}", on_click=_ask_example, args=(text,), use_container_width=True)


def _ask_example(text: str) -> None:
    st.session_state["question"] = text


def _source_line(hit: Hit, language: str) -> str:
    cite = hit.citation
    parts = [f"<b>{safe(cite.text(language))}</b>", *(safe(v) for v in (cite.source, cite.doc_type) if v)]
    if cite.status(language):
        parts.append(f'<span class="egov-status">{safe(cite.status(language))}</span>')
    where = safe(cite.url or str(hit.metadata.get("url") or "") or f"corpus/{cite.doc_id}")
    if cite.url:  # only http(s) addresses are Citation.url: no javascript: links
        where = f'<a href="{html.escape(cite.url, quote=True)}" target="_blank" rel="noopener">{where}</a>'
    return " · ".join(parts) + f'<br><span class="egov-meta">{where}</span>'


def render_answer(answer: Answer, index: Index, filters: Filters) -> None:
    """Draw the answer first (the answering sentence, its citation to copy), then one result per document.

    Everything around the evidence speaks the interface's language (the one the reader sees the
    page in), which may differ from the question's.
    """
    language = str(st.session_state.get("ui_lang", "id"))
    words = labels(language)
    st.subheader(t("answer_heading"))
    asked_in = interface.LANGUAGES.get(answer.language, answer.language)
    st.caption(f"{t('question')}: {plain(answer.question)} · {t('language')}: {plain(asked_in)}")
    sure = confidence_text(answer.confidence, answer.level, language)
    if answer.answered and answer.evidence:
        top = answer.evidence[0]
        cite = top.citation.text(language)
        short = f'<div class="egov-short">{safe(top.short_answer)}</div>' if top.short_answer else ""
        st.markdown(
            f'<div class="egov-card egov-answer">{short}<mark class="ev">{answer_sentence_html(top.text, top.answer)}'
            f'</mark><br><span class="egov-meta">{words["source"]}: {safe(cite)}</span></div>',
            unsafe_allow_html=True,
        )
        st.caption(f"{words['found']} ({sure}) · {t('copy_citation')}")
        st.code(cite + (f" — {top.citation.url}" if top.citation.url else ""), language=None, wrap_lines=True)
        if len(answer.evidence) > 1:
            with st.expander(t("more_evidence")):
                for ev in answer.evidence[1:]:
                    st.markdown(
                        f'<div class="egov-card"><mark class="ev">{answer_sentence_html(ev.text, None)}</mark><br>'
                        f'<span class="egov-meta">{words["source"]}: {safe(ev.citation.text(language))}</span></div>',
                        unsafe_allow_html=True,
                    )
    else:
        st.warning(f"{words['not_found']} ({sure})" if answer.hits else words["empty"])
    render_filter_chips(filters, len(answer.hits))
    st.subheader(words["passages"] if answer.answered else t("closest"))
    by_document: dict[str, list[Hit]] = {}
    for hit in answer.hits:
        by_document.setdefault(hit.doc_id, []).append(hit)
    open_article_dialog(index, language)
    for hits in by_document.values():
        render_hit(hits[0], language, index)
        if len(hits) > 1:
            with st.expander(t("more_from_doc").format(n=len(hits) - 1)):
                for hit in hits[1:]:
                    st.markdown(
                        f'<div class="egov-card">{passage_html(hit.text, hit.highlights, hit.terms)}</div>',
                        unsafe_allow_html=True,
                    )


_FILTER_KEYS = {key: param for param, key in FILTER_PARAMS.items()}  # setting -> its label


def _drop_filter(key: str, value: Any) -> None:
    """Remove one value of a kept filter (a chip's ✕), then let its widget start from the kept value."""
    if key == "f_years":
        st.session_state.pop("f_years", None)
    elif key == "f_hide_repealed":
        st.session_state[key] = False
    else:
        st.session_state[key] = [v for v in st.session_state.get(key, []) if v != value]
    forget_widgets(key)


def render_filter_chips(filters: Filters, shown: int) -> None:
    """Show the active filters above the results, each removable, with how many passages they left."""
    chips = [(key, value) for key in _FILTER_KEYS for value in st.session_state.get(key, [])]
    if filters.year_from is not None or filters.year_to is not None:
        chips.append(("f_years", f"{filters.year_from}–{filters.year_to}"))
    if filters.hide_repealed:
        chips.append(("f_hide_repealed", ""))
    if not chips:
        return
    st.caption(f"{t('active_filters')} · {shown} {t('passages_shown')}")
    cols = st.columns(min(len(chips), 4))
    for i, (key, value) in enumerate(chips):
        label = t("hide_repealed") if key == "f_hide_repealed" else t(_FILTER_KEYS.get(key, "year"))
        cols[i % len(cols)].button(
            f"✕ {label}: {plain(str(value))}" if value else f"✕ {label}",  # a label is Markdown: text escaped
            key=f"chip-{key}-{value}",
            on_click=_drop_filter,
            args=(key, value),
        )


def render_hit(hit: Hit, language: str, index: Index) -> None:
    """One result card: citation line, the passage with evidence and terms marked, context on demand."""
    st.markdown(
        f'<div class="egov-card egov-hit">{_source_line(hit, language)}<br>'
        f"{passage_html(hit.text, hit.highlights, hit.terms)}</div>",
        unsafe_allow_html=True,
    )
    location = hit.location
    if location is not None and location.part in ("pasal", "penjelasan") and location.pasal:
        label = t("open_article").format(pasal=location.pasal)
        st.button(label, key=f"article-{hit.chunk_id}-{hit.rank}", on_click=_show_article,
                  args=(hit.doc_id, location.pasal, hit.title or hit.doc_id))  # fmt: skip
    with st.expander(t("context")):
        doc = index.document(hit.doc_id)
        if doc is not None:
            before = doc.text[max(0, hit.start - 600) : hit.start]
            after = doc.text[hit.end : hit.end + 600]
            st.markdown(
                f'<div class="egov-meta">…{safe(before)}</div>'
                f"<div>{passage_html(hit.text, hit.highlights, hit.terms)}</div>"
                f'<div class="egov-meta">{safe(after)}…</div>',
                unsafe_allow_html=True,
            )


# a line that starts an item of a Pasal: "(1)", "a.", "1.", "Ayat (2)", "Huruf b"
_ITEM_START = re.compile(r"^(?:\(\w{1,3}\)|[a-z]\.|\d{1,3}\.|\w\)|Ayat\b|Huruf\b|Angka\b)")


def regulation_html(text: str) -> str:
    """Escape a Pasal's text and set it as it is printed: one paragraph per ayat or item, PDF line wraps joined."""
    paragraphs: list[list[str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not paragraphs or _ITEM_START.match(stripped):
            paragraphs.append([stripped])
        elif re.search(r"[^\W_]-$", paragraphs[-1][-1]):
            paragraphs[-1][-1] += stripped  # a word wrapped at its hyphen: "Undang-" + "Undang", "COVID-" + "19"
        else:
            paragraphs[-1].append(stripped)
    return "".join(f"<p>{safe(' '.join(p))}</p>" for p in paragraphs)


def _show_article(doc_id: str, pasal: str, title: str) -> None:
    st.session_state["article"] = (doc_id, pasal, title)


def _close_article() -> None:
    st.session_state.pop("article", None)


def open_article_dialog(index: Index, language: str) -> None:
    """Show the Pasal a reader opened (it stays open across reruns until dismissed)."""
    opened = st.session_state.get("article")
    if opened:
        title = plain(opened[2])  # a dialog's title is Markdown: a document's title is shown as text
        st.dialog(title, width="large", on_dismiss=_close_article)(render_article)(index, language)


def render_article(index: Index, language: str) -> None:
    """Draw the Pasal a result stands in, whole, with its Penjelasan beside it and the Pasal around it."""
    doc_id, pasal, title = st.session_state.get("article", ("", "", ""))
    article = index.article(doc_id, pasal)
    if article is None:
        st.warning(t("article_missing"))
        return
    cite = article.citation
    status = cite.status(language)
    st.markdown(
        f'<span class="egov-meta">{safe(article.context)}</span>'
        + (f'<br><span class="egov-status">{safe(status)}</span>' if status else ""),
        unsafe_allow_html=True,
    )
    back, here, forward = st.columns([1, 3, 1])
    if article.previous:
        back.button(t("previous_article").format(pasal=article.previous), key="article-prev",
                    on_click=_show_article, args=(doc_id, article.previous, title))  # fmt: skip
    here.code(cite.text(language), language=None, wrap_lines=True)
    if article.following:
        forward.button(t("next_article").format(pasal=article.following), key="article-next",
                       on_click=_show_article, args=(doc_id, article.following, title))  # fmt: skip
    text_col, explanation_col = st.columns(2)
    text_col.markdown(f"**{plain(t('article_text').format(pasal=article.pasal))}**")
    text_col.markdown(f'<div class="egov-card egov-article">{regulation_html(article.text)}</div>',
                      unsafe_allow_html=True)  # fmt: skip
    explanation_col.markdown(f"**{plain(t('explanation'))}**")
    if article.explanation:
        explained = regulation_html(article.explanation)
        explanation_col.markdown(f'<div class="egov-card egov-explanation">{explained}</div>', unsafe_allow_html=True)
    else:
        explanation_col.caption(t("no_explanation"))
