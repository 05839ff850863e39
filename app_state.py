"""The app's state: the interface language, search settings kept across pages and languages, the URL."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from egov_qa import (
    MODES,
    Filters,
    Index,
    detect_language,
    interface,
)


def t(key: str) -> str:
    """Return an interface string in the current interface language."""
    return interface.INTERFACE[st.session_state.get("ui_lang", "id")][key]


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


def forget_widgets(*keys: str) -> None:
    """Make the widgets of these settings start again from their kept values (a link was opened)."""
    for key in list(st.session_state):
        if any(key == f"w_{k}" or key.startswith(f"w_{k}_") for k in keys):
            del st.session_state[key]


def _language_chosen() -> None:
    st.session_state["ui_lang_chosen"] = True  # from now on the interface no longer follows questions


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


def _year_range(full: tuple[int, int]) -> tuple[int, int] | None:
    """Draw the year slider within the index's years; return the chosen range, or None for every year.

    A kept or linked range is fitted into the years the index holds now (documents come and go);
    one that no longer overlaps them, or runs backwards, falls back to every year.
    """
    state = st.session_state
    low, high = state.get("f_years") or full
    low, high = max(low, full[0]), min(high, full[1])
    if low > high:
        low, high = full
    current = state.get("w_f_years")
    if current is None or not (full[0] <= current[0] <= current[1] <= full[1]):
        state["w_f_years"] = (low, high)
    years = tuple(st.slider(t("year"), full[0], full[1], key="w_f_years"))
    if years == full:
        state.pop("f_years", None)  # the whole range is no filter: new years are not left out
        return None
    state["f_years"] = (int(years[0]), int(years[1]))
    return state["f_years"]  # type: ignore[no-any-return]


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
        years = _year_range(facets.years) if facets.years and facets.years[0] < facets.years[1] else None
        sources = _pick("source", facets.sources, "f_source")
        categories = _pick("category", facets.categories, "f_category")
        hide_repealed = bool(facets.repealed) and st.checkbox(t("hide_repealed"), key=_kept("f_hide_repealed", False))
    state.update(f_type=list(types), f_source=list(sources), f_category=list(categories))
    if facets.repealed:
        state["f_hide_repealed"] = hide_repealed
    filters = Filters(
        doc_types=tuple(t_ for t_ in types if t_ in facets.doc_types),
        year_from=years[0] if years else None,
        year_to=years[1] if years else None,
        sources=tuple(s for s in sources if s in facets.sources),
        categories=tuple(c for c in categories if c in facets.categories),
        hide_repealed=hide_repealed,
    )
    return {"top_k": int(top_k), "mode": mode, "filters": filters}


# URL parameter (also the filter's label key) -> the setting it holds
FILTER_PARAMS = {"type": "f_type", "source": "f_source", "category": "f_category"}


def _url_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _number(text: str) -> int | None:
    """Read a whole number of up to four ASCII digits from a link ("²" and "1e9" are not numbers here)."""
    return int(text) if re.fullmatch(r"[0-9]{1,4}", text) else None


def state_from_url() -> None:
    """Apply a link's question, language, mode, count and filters (a shared link, or the back button)."""
    params = _url_params()
    if params == st.session_state.get("_url"):
        return  # the URL this session wrote itself
    st.session_state["_url"] = params
    first = {key: values[0] for key, values in params.items() if values}
    question = first.get("q", "").strip()
    state = st.session_state
    state["question"] = state["kept_question"] = question
    if first.get("lang") in interface.INTERFACE:
        state["ui_lang"] = first["lang"]
        state["_last_question"] = question  # the link's language wins over the question's
    state["mode"] = first["mode"] if first.get("mode") in MODES else "hybrid"
    k = _number(first.get("k", ""))
    state["top_k"] = k if k is not None and 1 <= k <= 20 else 5
    for param, key in FILTER_PARAMS.items():
        state[key] = list(dict.fromkeys(params.get(param, [])))
    state["f_hide_repealed"] = first.get("repealed") == "hide"
    low, high = _number(first.get("from", "")), _number(first.get("to", ""))
    if low is not None and high is not None and low <= high:
        state["f_years"] = (low, high)
    else:
        state.pop("f_years", None)
    forget_widgets("mode", "top_k", "f_years", "f_hide_repealed", *FILTER_PARAMS.values())


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
        if filters.year_from is not None and filters.year_to is not None:
            params.update({"from": [str(filters.year_from)], "to": [str(filters.year_to)]})
        if filters.hide_repealed:
            params["repealed"] = ["hide"]
    if params != _url_params():
        st.query_params.from_dict(params)
    st.session_state["_url"] = params


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
