"""egov-qa in the browser: ask in Indonesian or English, read the evidence, manage the corpus.

Run with `egov-qa serve` or `streamlit run app.py`. Widgets and rendering only: every action
is a call to the egov_qa API; the loaded index is cached per index generation and reloaded
after a rebuild. The pages live here; `app_state.py` keeps the settings, the language and the
URL, `app_render.py` draws answers and passages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import streamlit as st
from app_render import plain, render_answer, render_examples, say
from app_state import (
    follow_question_language,
    search_settings_ui,
    set_page_language,
    sidebar_ui,
    state_from_url,
    state_to_url,
    t,
)

from egov_qa import (
    Corpus,
    CorpusReport,
    EgovQAError,
    Index,
    IngestReport,
    Manifest,
    Settings,
    check_admin_password,
    interface,
    load_glossary,
    management_access,
    open_shared,
    warm_index,
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
.egov-short { font-size: 1.5rem; font-weight: 700; margin-bottom: .3rem; }
.egov-meta { color: #555; font-size: .85rem; }
.egov-status { color: #9a3b00; font-size: .85rem; font-weight: 600; }
.egov-article p, .egov-explanation p { margin: 0 0 .45rem 0; }
/* Streamlit's own English hints, replaced by the page's words */
[data-testid="InputInstructions"], [data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
</style>
"""


@st.cache_resource(max_entries=2, show_spinner="Memuat model dan indeks… / Loading the model and the index…")
def get_index(index_dir: str, generation: int, backend: str | None, models_dir: str) -> Index:
    """Load the index once per generation, shared read-only by every session.

    `egov-qa serve` starts loading it with the server (egov_qa.warm_up); a rebuilt generation
    reuses the process's loaded model instead of loading it again.
    """
    warm = warm_index(index_dir, generation)
    if warm is not None:
        return warm
    return open_shared(Settings(index_dir=Path(index_dir), models_dir=Path(models_dir), backend=backend))


def current_index(settings: Settings) -> Index | None:
    """Return the cached index of the current generation, or None when there is none yet."""
    try:
        manifest = Manifest.read(settings.index_dir)
        return get_index(str(settings.index_dir), manifest.generation, settings.backend, str(settings.models_dir))
    except EgovQAError as exc:
        st.session_state["index_error"] = str(exc)
        return None


def question_ui() -> str:
    """Draw the question box and return the question (the interface language follows it)."""
    with st.form("ask", clear_on_submit=False):
        st.text_input(t("ask"), key="question", placeholder=t("placeholder"), label_visibility="collapsed")
        st.form_submit_button(t("ask"), type="primary")
    return str(st.session_state.get("question", "")).strip()


def ask_page(index: Index | None) -> None:
    """Ask a question and read the answer."""
    st.title("egov-qa")
    if index is None:
        st.info(t("no_index"))
        return
    options = search_settings_ui(index)
    if "question" not in st.session_state:  # Streamlit dropped the box while the corpus page was open
        st.session_state["question"] = st.session_state.get("kept_question", "")
    question = question_ui()
    st.session_state["kept_question"] = question
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
        lang = str(st.session_state.get("ui_lang", "id"))
        rows = [
            {t("file"): s.source, t("reason"): interface.in_language(s.reason, lang)} for s in m.last_ingest.skipped
        ]
        st.dataframe(rows)  # text, no Markdown


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
    jsonl: set[str] = set()
    for doc_id, title in titles.items():
        file, line, _ = doc_id.partition("#")
        per_file.setdefault(file, []).append(title or doc_id)
        if line:
            jsonl.add(file)
    return {
        file: f"{len(names)} {t('documents').lower()}: {', '.join(sorted(names))[:80]}" if file in jsonl else names[0]
        for file, names in per_file.items()
    }


def _clear_confirmation() -> None:
    st.session_state["remove_confirm"] = False


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
            on_change=_clear_confirmation,  # a tick given for one file never deletes another
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


def main() -> None:
    """Draw the page."""
    st.set_page_config(page_title="egov-qa", page_icon="🔎", layout="wide")
    settings = Settings.from_env()
    st.session_state.setdefault("ui_lang", "id")
    state_from_url()
    follow_question_language()  # the page's language is settled before anything is drawn in it
    st.markdown(CSS, unsafe_allow_html=True)
    set_page_language()
    page = sidebar_ui()  # drawn before the index is loaded: the page is never blank while it loads
    index = current_index(settings)
    if page == "corpus":
        corpus_page(index, settings)
    else:
        ask_page(index)


if __name__ == "__main__":
    main()
