"""egov-qa in the browser: ask in Indonesian or English, read the evidence, manage the corpus.

Run with `egov-qa serve` or `streamlit run app.py`. Widgets and rendering only: every action
is a call to the egov_qa API; the loaded index is cached per index generation and reloaded
after a rebuild.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st

from egov_qa import (
    MODES,
    Answer,
    Corpus,
    CorpusReport,
    EgovQAError,
    Embedder,
    Filters,
    Hit,
    Index,
    IngestReport,
    Manifest,
    Settings,
    check_admin_password,
    detect_language,
    interface,
    labels,
    load_embedder,
    load_glossary,
    load_index,
    management_access,
    segments,
)

CSS = """
<style>
mark.ev { background: #fff3b0; padding: 0 .1em; }
mark.term { background: #ffd166; font-weight: 600; padding: 0 .1em; }
mark.ev mark.term, mark.term.ev { background: #ffc233; }
abbr.gloss { text-decoration: underline dotted #8a6d00; cursor: help; }
.egov-card { border: 1px solid #ddd; border-radius: .5rem; padding: .6rem .9rem; margin: .4rem 0;
             overflow-wrap: anywhere; }
.egov-answer { font-size: 1.15rem; line-height: 1.5; }
.egov-meta { color: #555; font-size: .85rem; }
/* Streamlit's own English hints, replaced by the page's words */
[data-testid="InputInstructions"], [data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
</style>
"""


@st.cache_resource(show_spinner="Memuat model bahasa… / Loading the language model…")
def get_model(name: str, models_dir: str) -> Embedder:
    """Load an embedding model once per process: a rebuilt index reuses it instead of loading it again."""
    return load_embedder(name, settings=Settings(models_dir=Path(models_dir)))


@st.cache_resource(max_entries=2, show_spinner="Memuat indeks… / Loading the index…")
def get_index(index_dir: str, generation: int, model: str, models_dir: str) -> Index:
    """Load the index once per generation; shared read-only by every session."""
    return load_index(index_dir, embedder=get_model(model, models_dir))


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


def glossed(text: str) -> str:
    """Escape ``text``; for English readers, glossary terms get their English on hover (<abbr title>)."""
    if st.session_state.get("ui_lang") != "en":
        return safe(text)
    out, pos = [], 0
    for start, end, english in load_glossary().glosses(text):
        out.append(safe(text[pos:start]))
        out.append(f'<abbr class="gloss" title="{html.escape(english, quote=True)}">{safe(text[start:end])}</abbr>')
        pos = end
    out.append(safe(text[pos:]))
    return "".join(out)


def passage_html(text: str, sentences: Any, terms: Any) -> str:
    """Escape the passage, then wrap evidence sentences and matched terms in <mark>."""
    out = []
    for piece, in_sentence, is_term in segments(text, sentences, terms):
        piece_html = glossed(piece)
        if is_term:
            piece_html = f'<mark class="term">{piece_html}</mark>'
        out.append(f'<mark class="ev">{piece_html}</mark>' if in_sentence else piece_html)
    return "".join(out)


def t(key: str) -> str:
    """Return an interface string in the current interface language."""
    return interface.INTERFACE[st.session_state.get("ui_lang", "id")][key]


def current_index(settings: Settings) -> Index | None:
    """Return the cached index of the current generation, or None when there is none yet."""
    try:
        manifest = Manifest.read(settings.index_dir)
        return get_index(str(settings.index_dir), manifest.generation, manifest.model.name, str(settings.models_dir))
    except EgovQAError as exc:
        st.session_state["index_error"] = str(exc)
        return None


def _kept(key: str, default: Any, widget: str | None = None) -> str:
    """Return the widget key of a setting that outlives pages and languages.

    Streamlit drops a widget's state when a run does not draw it (the corpus page draws no search
    settings), and a widget whose option labels change with the language cannot carry its value
    over; the value is kept under ``key`` and handed to the widget whenever it is drawn anew.
    """
    widget = widget or f"w_{key}"
    if widget not in st.session_state:
        st.session_state[widget] = st.session_state.get(key, default)
    return widget


def _forget_widgets(*keys: str) -> None:
    """Make the widgets of these settings start again from their kept values (a link was opened)."""
    for key in list(st.session_state):
        if any(key == f"w_{k}" or key.startswith(f"w_{k}_") for k in keys):
            del st.session_state[key]


def _language_chosen() -> None:
    st.session_state["ui_lang_chosen"] = True  # from now on the interface no longer follows questions


def sidebar_ui() -> str:
    """Language switch and page choice; return the page."""
    sb = st.sidebar
    sb.radio(
        "Bahasa / Language",
        list(interface.LANGUAGES),
        format_func=interface.LANGUAGES.get,
        key="ui_lang",
        horizontal=True,
        on_change=_language_chosen,
    )
    # bilingual labels: the choice reads the same in both interface languages
    page = sb.radio(
        " ", list(interface.PAGES), format_func=interface.PAGES.get, key="page", label_visibility="collapsed"
    )
    return str(page)


def _pick(label: str, options: tuple[str, ...], key: str) -> list[str]:
    """Draw a kept multiselect filter (nothing when the index has no such facet)."""
    if not options:
        return []
    return list(st.multiselect(t(label), options, key=_kept(key, []), placeholder=t("choose")))


def search_settings_ui(index: Index) -> dict[str, Any]:
    """Draw the result count, search mode and filters (kept across questions, languages and pages)."""
    sb, state = st.sidebar, st.session_state
    state["top_k"] = top_k = sb.slider(t("results"), 1, 20, key=_kept("top_k", 5))
    words = interface.INTERFACE[state.get("ui_lang", "id")]
    state["mode"] = mode = sb.selectbox(
        t("mode"),
        MODES,
        key=_kept("mode", "hybrid", f"w_mode_{state.get('ui_lang', 'id')}"),  # one widget per language: its labels
        format_func=lambda m, words=words: words[f"mode_{m}"],  # are the state Streamlit carries between runs
        help=t("mode_help"),
    )
    facets = index.facets()
    with sb.expander(t("filters"), expanded=False):
        types = _pick("type", facets.doc_types, "f_type")
        years = None
        if facets.years and facets.years[0] < facets.years[1]:
            low, high = state.get("f_years") or facets.years
            state.setdefault("w_f_years", (max(low, facets.years[0]), min(high, facets.years[1])))
            years = st.slider(t("year"), facets.years[0], facets.years[1], key=_kept("f_years", facets.years))
            state["f_years"] = years
        sources = _pick("source", facets.sources, "f_source")
        categories = _pick("category", facets.categories, "f_category")
    state.update(f_type=list(types), f_source=list(sources), f_category=list(categories))
    filters = Filters(
        doc_types=tuple(t_ for t_ in types if t_ in facets.doc_types),
        year_from=years[0] if years and years != facets.years else None,
        year_to=years[1] if years and years != facets.years else None,
        sources=tuple(s for s in sources if s in facets.sources),
        categories=tuple(c for c in categories if c in facets.categories),
    )
    return {"top_k": int(top_k), "mode": mode, "filters": filters}


_URL_LISTS = {"type": "f_type", "source": "f_source", "category": "f_category"}


def state_from_url() -> None:
    """Apply a link's question, language, mode, count and filters (a shared link, or the back button)."""
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    if params == st.session_state.get("_url"):
        return  # the URL this session wrote itself
    st.session_state["_url"] = params
    first = {key: values[0] for key, values in params.items() if values}
    question = first.get("q", "").strip()
    st.session_state["question"] = question
    st.session_state["_last_question"] = question  # the link's language wins over the question's
    if first.get("lang") in interface.INTERFACE:
        st.session_state["ui_lang"] = first["lang"]
    state = st.session_state
    state["mode"] = first["mode"] if first.get("mode") in MODES else "hybrid"
    state["top_k"] = int(first["k"]) if first.get("k", "").isdigit() and 1 <= int(first["k"]) <= 20 else 5
    for param, key in _URL_LISTS.items():
        state[key] = list(params.get(param, []))
    if first.get("from", "").isdigit() and first.get("to", "").isdigit():
        state["f_years"] = (int(first["from"]), int(first["to"]))
    else:
        state.pop("f_years", None)
    _forget_widgets("mode", "top_k", "f_years", *_URL_LISTS.values())


def state_to_url(question: str, options: dict[str, Any]) -> None:
    """Write the question and its settings into the URL: links can be shared, the back button goes back."""
    filters: Filters = options["filters"]
    params: dict[str, list[str]] = {}
    if question:
        params["q"] = [question]
        params["lang"] = [str(st.session_state.get("ui_lang", "id"))]
        params["mode"] = [str(options["mode"])]
        params["k"] = [str(options["top_k"])]
        params.update({p: list(v) for p, v in (("type", filters.doc_types), ("source", filters.sources),
                                                 ("category", filters.categories)) if v})  # fmt: skip
        if filters.year_from is not None or filters.year_to is not None:
            years = st.session_state.get("f_years") or (filters.year_from, filters.year_to)
            params.update({"from": [str(years[0])], "to": [str(years[1])]})
    if params != {key: st.query_params.get_all(key) for key in st.query_params}:
        st.query_params.from_dict(params)
    st.session_state["_url"] = params


def question_ui() -> str:
    """Draw the question box and return the question (the interface language follows it)."""
    with st.form("ask", clear_on_submit=False):
        st.text_input(t("ask"), key="question", placeholder=t("placeholder"), label_visibility="collapsed")
        st.form_submit_button(t("ask"), type="primary")
    return str(st.session_state.get("question", "")).strip()


_LANG_SCRIPT = """<script>
if (!window.egovLang) {
  window.egovLang = setInterval(() => {
    const marker = document.querySelector(".egov-lang");
    if (marker && document.documentElement.lang !== marker.dataset.lang) {
      document.documentElement.lang = marker.dataset.lang;
    }
  }, 250);
}
</script>"""


def set_page_language() -> None:
    """Set <html lang> to the interface language, so that browsers and screen readers read it right."""
    lang = "id" if st.session_state.get("ui_lang") == "id" else "en"
    st.markdown(f'<span class="egov-lang" data-lang="{lang}"></span>', unsafe_allow_html=True)
    # a script runs once, when its element first appears; it keeps <html lang> equal to the marker above
    st.html(_LANG_SCRIPT, unsafe_allow_javascript=True)


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
    if answer.answered and answer.evidence:
        top = answer.evidence[0]
        cite = top.citation.text(language)
        st.markdown(
            f'<div class="egov-card egov-answer"><mark class="ev">{glossed(top.text)}</mark>'
            f'<br><span class="egov-meta">{words["source"]}: {safe(cite)}</span></div>',
            unsafe_allow_html=True,
        )
        st.caption(f"{words['found']} ({words['confidence']} {answer.confidence:.3f}) · {t('copy_citation')}")
        st.code(cite + (f" — {top.citation.url}" if top.citation.url else ""), language=None, wrap_lines=True)
        if len(answer.evidence) > 1:
            with st.expander(t("more_evidence")):
                for ev in answer.evidence[1:]:
                    st.markdown(
                        f'<div class="egov-card"><mark class="ev">{glossed(ev.text)}</mark><br>'
                        f'<span class="egov-meta">{words["source"]}: {safe(ev.citation.text(language))}</span></div>',
                        unsafe_allow_html=True,
                    )
    else:
        st.warning(
            f"{words['not_found'] if answer.hits else words['empty']} ({words['confidence']} {answer.confidence:.3f})"
        )
    render_filter_chips(filters, len(answer.hits))
    st.subheader(words["passages"] if answer.answered else t("closest"))
    by_document: dict[str, list[Hit]] = {}
    for hit in answer.hits:
        by_document.setdefault(hit.doc_id, []).append(hit)
    for hits in by_document.values():
        render_hit(hits[0], language, index)
        if len(hits) > 1:
            with st.expander(t("more_from_doc").format(n=len(hits) - 1)):
                for hit in hits[1:]:
                    st.markdown(
                        f'<div class="egov-card">{passage_html(hit.text, hit.highlights, hit.terms)}</div>',
                        unsafe_allow_html=True,
                    )


_FILTER_KEYS = {"f_type": "type", "f_source": "source", "f_category": "category"}


def _drop_filter(key: str, value: Any) -> None:
    """Remove one value of a kept filter (a chip's ✕), then let its widget start from the kept value."""
    if key == "f_years":
        st.session_state.pop("f_years", None)
    else:
        st.session_state[key] = [v for v in st.session_state.get(key, []) if v != value]
    _forget_widgets(key)


def render_filter_chips(filters: Filters, shown: int) -> None:
    """Show the active filters above the results, each removable, with how many passages they left."""
    chips = [(key, value) for key in _FILTER_KEYS for value in st.session_state.get(key, [])]
    if filters.year_from is not None or filters.year_to is not None:
        chips.append(("f_years", f"{filters.year_from}–{filters.year_to}"))
    if not chips:
        return
    st.caption(f"{t('active_filters')} · {shown} {t('passages_shown')}")
    cols = st.columns(min(len(chips), 4))
    for i, (key, value) in enumerate(chips):
        label = t(_FILTER_KEYS.get(key, "year"))
        cols[i % len(cols)].button(
            f"✕ {label}: {value}", key=f"chip-{key}-{value}", on_click=_drop_filter, args=(key, value)
        )


def render_hit(hit: Hit, language: str, index: Index) -> None:
    """One result card: citation line, the passage with evidence and terms marked, context on demand."""
    st.markdown(
        f'<div class="egov-card egov-hit">{_source_line(hit, language)}<br>'
        f"{passage_html(hit.text, hit.highlights, hit.terms)}</div>",
        unsafe_allow_html=True,
    )
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


def ask_page(index: Index | None) -> None:
    """Ask a question and read the answer."""
    st.title("egov-qa")
    if index is None:
        st.info(t("no_index"))
        return
    options = search_settings_ui(index)
    question = question_ui()
    state_to_url(question, options)
    if not question:
        render_examples()
        return
    try:
        answer = index.ask(question, top_k=options["top_k"], mode=options["mode"], filters=options["filters"])
    except EgovQAError as exc:
        st.error(say(str(exc)))
        return
    render_answer(answer, index, options["filters"])


def status_ui(index: Index | None, settings: Settings) -> None:
    """Documents, chunks, model, last build and what the last ingest skipped."""
    st.subheader(t("status"))
    if index is None:
        st.info(plain(st.session_state.get("index_error", t("no_index"))))
        return
    m = index.manifest
    c1, c2 = st.columns(2)
    c1.metric(t("documents"), m.documents)
    c2.metric(t("chunks"), m.chunks)
    st.caption(f"{t('built')}: {_when(m.built_at)}")
    with st.expander(t("about")):  # for whoever runs the server, not for readers
        details = [(t("model"), m.model.name), (t("index_folder"), str(settings.index_dir)),
                   (t("corpus_folder"), str(settings.corpus_dir)), ("egov-qa", m.egov_qa_version)]  # fmt: skip
        st.caption(" · ".join(f"{name}: {plain(value)}" for name, value in details))
    if m.last_ingest.skipped:
        st.write(f"{t('skipped')}:")
        st.dataframe([{"file": s.source, "reason": s.reason} for s in m.last_ingest.skipped])  # text, no Markdown


def _when(timestamp: str) -> str:
    """Return an ISO timestamp as a reader writes it: "28-11-2026 15:29"."""
    try:
        return datetime.fromisoformat(timestamp).astimezone().strftime("%d-%m-%Y %H:%M")
    except ValueError:
        return timestamp


def ingest_summary(report: IngestReport) -> str:
    """Say in words what an index update did ("1 dokumen ditambahkan, …; indeks berisi 5 dokumen")."""
    parts = [f"{len(report.added)} {t('added')}", f"{len(report.updated)} {t('changed')}",
             f"{len(report.removed)} {t('removed')}"]  # fmt: skip
    return f"{t('updated')}: {', '.join(parts)}; {t('index_holds')} {report.total_documents} {t('documents').lower()}."


def apply_change(
    settings: Settings, index: Index | None, change: Callable[[Corpus], CorpusReport] | None, *, full: bool = False
) -> None:
    """Save or delete corpus files, then update the index with a progress bar; the new generation loads next run.

    ``change`` None only updates the index (the build buttons; ``full`` rebuilds it from scratch).
    """
    corpus = Corpus(settings, embedder=index.embedder if index is not None else None)
    flash: list[tuple[str, str]] = []
    if change is not None:
        try:
            report = change(corpus)
        except EgovQAError as exc:
            st.error(say(str(exc)))
            return
        flash += [("error", s.reason) for s in report.refused]
        flash += [("info", f"{t('saved')}: {name}") for name in report.saved]
        flash += [("info", f"{t('deleted')}: {name}") for name in report.removed]  # the record of what went
        if not (report.saved or report.removed):
            st.session_state["flash"] = flash + [("info", t("nothing"))]
            st.rerun()
    bar = st.progress(0.0, text=t("updating"))

    def progress(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=f"{t('updating')} {done}/{total}")

    try:
        ingest = corpus.update(full=full, progress=progress)
    except EgovQAError as exc:
        st.session_state["flash"] = flash + [("error", f"{t('not_updated')}: {exc}")]
        st.rerun()
    flash += [("success", ingest_summary(ingest))] + [("warning", f"{s.source}: {s.reason}") for s in ingest.skipped]
    st.session_state["flash"] = flash
    st.rerun()  # draw the page again over the new generation of the index


def render_flash() -> None:
    """Show (once) the messages of the last action, kept across the rerun that reloaded the index."""
    for kind, message in st.session_state.pop("flash", []):
        getattr(st, kind)(say(message))


def corpus_page(index: Index | None, settings: Settings) -> None:
    """Add articles (upload or URL), remove documents, see the index status."""
    st.title(t("corpus_page"))
    render_flash()
    status_ui(index, settings)
    if management_ui(settings):
        manage_ui(index, settings)
    with st.expander(t("glossary")):
        st.dataframe([{"English": e.english, "Indonesia": "; ".join(e.indonesian), "domain": e.domain}
                      for e in load_glossary().entries])  # fmt: skip


def _request_origin() -> tuple[str | None, bool]:
    """Return the Host the browser asked for, and whether the request came through a proxy."""
    try:
        headers = st.context.headers
    except Exception:  # no request behind this run (tests, bare mode)
        return None, False
    forwarded = any(headers.get(h) for h in ("X-Forwarded-For", "Forwarded", "X-Real-Ip", "X-Forwarded-Host"))
    return headers.get("Host"), forwarded


def management_ui(settings: Settings) -> bool:
    """Say who may change the corpus, ask for the admin password when one is set; return whether changes are allowed."""
    address = settings.server_address or st.get_option("server.address")
    host, forwarded = _request_origin()
    access = management_access(settings, address, request_host=host, forwarded=forwarded)
    if access == "open":
        st.caption(t("access_open"))
        return True
    if access == "closed":
        st.info(t("access_closed"))
        return False
    if st.session_state.get("admin_unlocked"):
        return True
    with st.form("admin_login"):
        given = st.text_input(t("password"), type="password")
        unlock = st.form_submit_button(t("unlock"))
    if unlock:
        if check_admin_password(settings, given):
            st.session_state["admin_unlocked"] = True
            st.rerun()
        time.sleep(1)  # slows down guessing
        st.error(t("wrong_password"))
    return False


def _corpus_files(titles: dict[str, str]) -> dict[str, str]:
    """Return {corpus file: what a reader calls it}: a document's title, or "N dokumen" for a JSON Lines file."""
    per_file: dict[str, list[str]] = {}
    for doc_id, title in titles.items():
        per_file.setdefault(doc_id.split("#", 1)[0], []).append(title or doc_id)
    return {
        file: names[0] if len(names) == 1 and "#" not in next(d for d in titles if d.startswith(file))
        else f"{len(names)} {t('documents').lower()}: {', '.join(sorted(names))[:80]}"
        for file, names in per_file.items()
    }  # fmt: skip


def _ask_removal(doc_id: str | None) -> None:
    """Take the click's document, then clear the choice and the tick: each deletion is confirmed anew."""
    st.session_state["removing"] = doc_id
    st.session_state["remove_doc"] = None
    st.session_state["remove_confirm"] = False


def manage_ui(index: Index | None, settings: Settings) -> None:
    """Upload files, fetch a page, remove a document, update or rebuild the index."""
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            t("upload"), accept_multiple_files=True, type=["txt", "md", "html", "htm", "pdf", "jsonl"]
        )
        st.caption(t("choose_files"))  # Streamlit's own size line is hidden: this says it in the page's language
        overwrite = st.checkbox(t("overwrite"))
        submitted = st.form_submit_button(t("add"))
    if submitted:
        uploads = [(f.name, f.getvalue()) for f in files or []]
        apply_change(settings, index, lambda c: c.add_files(uploads, overwrite=overwrite, update=False))
    with st.form("url"):
        url = st.text_input(t("url"), placeholder="https://…")
        url_overwrite = st.checkbox(t("overwrite"), key="url_overwrite")
        fetch = st.form_submit_button(t("fetch"))
    if fetch and url.strip():
        apply_change(settings, index, lambda c: c.add_url(url, overwrite=url_overwrite, update=False))
    files = _corpus_files(index.document_titles() if index is not None else {})
    if files:
        st.subheader(t("remove"))
        st.selectbox(
            t("remove"),
            sorted(files, key=lambda f: files[f].lower()),
            index=None,
            key="remove_doc",
            placeholder=t("remove_choose"),
            format_func=lambda f: f"{files[f]} ({f})",
            label_visibility="collapsed",
        )
        confirm = st.checkbox(t("remove_confirm"), key="remove_confirm")
        chosen = st.session_state.get("remove_doc")
        st.button(t("remove_button"), disabled=not (confirm and chosen), on_click=_ask_removal, args=(chosen,))
    if st.session_state.get("removing"):
        doc_id = st.session_state.pop("removing")
        apply_change(settings, index, lambda c: c.remove(doc_id, update=False))
    if st.button(t("build")):
        apply_change(settings, index, None)
    if index is None and st.session_state.get("index_error") and st.button(t("rebuild_full")):
        apply_change(settings, index, None, full=True)  # what the damaged index's message advises


def follow_question_language() -> None:
    """Switch the interface to a new question's language (before the switch widget is drawn)."""
    question = str(st.session_state.get("question", "")).strip()
    if st.session_state.get("ui_lang_chosen"):
        return  # the reader picked a language: it stays
    if question and question != st.session_state.get("_last_question"):
        st.session_state["_last_question"] = question
        lang = detect_language(question)
        if lang in interface.INTERFACE:
            st.session_state["ui_lang"] = lang


def main() -> None:
    """Draw the page."""
    st.set_page_config(page_title="egov-qa", page_icon="🔎", layout="wide")
    settings = Settings.from_env()
    st.session_state.setdefault("ui_lang", "id")
    state_from_url()
    follow_question_language()  # the page's language is settled before anything is drawn in it
    st.markdown(CSS, unsafe_allow_html=True)
    set_page_language()
    index = current_index(settings)
    if sidebar_ui() == "corpus":
        corpus_page(index, settings)
    else:
        ask_page(index)


if __name__ == "__main__":
    main()
