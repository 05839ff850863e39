"""The app's state as people use it: settings that stay, the language they chose, links that open an answer."""

from __future__ import annotations

import html

from streamlit.testing.v1 import AppTest

from egov_qa import Index

from .conftest import ROOT

APP = str(ROOT / "app.py")


def run_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=30).run()


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="question").input(question)
    return next(b for b in at.button if b.label in ("Tanya", "Ask")).click().run()


def settings_of(at: AppTest) -> tuple[int, str, list[str]]:
    mode = next(s for s in at.sidebar.selectbox if s.key.startswith("w_mode_"))
    return at.sidebar.slider(key="w_top_k").value, mode.value, list(at.sidebar.multiselect(key="w_f_category").value)


def cards(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "egov-hit" in m.value]


def test_settings_stay_across_an_english_then_an_indonesian_question(fake_index: Index) -> None:
    at = run_app()
    at.sidebar.slider(key="w_top_k").set_value(7).run()
    next(s for s in at.sidebar.selectbox if s.key == "w_mode_id").set_value("lexical").run()
    at.sidebar.multiselect(key="w_f_category").set_value(["Adminduk"]).run()
    ask(at, "Where is the e-KTP recorded?")
    assert not at.exception and at.session_state["ui_lang"] == "en"
    assert settings_of(at) == (7, "lexical", ["Adminduk"])
    assert cards(at) and all("adminduk" in c for c in cards(at))  # the filter still applies
    ask(at, "Di mana perekaman e-KTP dilakukan?")
    assert at.session_state["ui_lang"] == "id" and settings_of(at) == (7, "lexical", ["Adminduk"])
    assert cards(at) and all("adminduk" in c for c in cards(at))
    at.sidebar.radio(key="page").set_value("corpus").run()
    at.sidebar.radio(key="page").set_value("ask").run()
    assert settings_of(at) == (7, "lexical", ["Adminduk"])  # kept while the corpus page was open


def test_a_language_picked_by_hand_stays(fake_index: Index) -> None:
    at = run_app()
    at.sidebar.radio(key="ui_lang").set_value("en").run()
    ask(at, "e-KTP")
    assert at.session_state["ui_lang"] == "en"
    ask(at, "Siapa yang mengevaluasi penerapan SPBE?")
    assert at.session_state["ui_lang"] == "en" and "Related passages" in [s.value for s in at.subheader]


def test_the_question_and_its_settings_go_into_the_url(fake_index: Index) -> None:
    at = run_app()
    at.sidebar.multiselect(key="w_f_category").set_value(["SPBE"]).run()
    ask(at, "Siapa yang mengevaluasi SPBE?")
    params = {key: at.query_params[key] for key in at.query_params}
    assert params == {
        "q": "Siapa yang mengevaluasi SPBE?",
        "lang": "id",
        "mode": "hybrid",
        "k": "5",
        "category": "SPBE",
    }


def test_a_link_opens_its_answer_with_its_settings(fake_index: Index) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(q="Who records the e-KTP?", lang="en", mode="dense", k="3", category="Adminduk")
    at.run()
    assert not at.exception
    assert at.text_input(key="question").value == "Who records the e-KTP?"
    assert at.session_state["ui_lang"] == "en" and settings_of(at)[1:] == ("dense", ["Adminduk"])
    assert at.sidebar.slider(key="w_top_k").value == 3
    assert cards(at) and len(cards(at)) <= 3 and all("adminduk" in c for c in cards(at))


def test_a_link_with_nonsense_values_falls_back_to_defaults(fake_index: Index) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(q="SPBE", lang="xx", mode="rm -rf", k="100000", category="tidak-ada")
    at.run()
    assert not at.exception
    assert settings_of(at) == (5, "hybrid", [])


def test_every_deletion_is_confirmed_anew_and_the_list_shows_titles(fake_index: Index) -> None:
    at = run_app()
    at.sidebar.radio(key="page").set_value("corpus").run()
    box = at.selectbox(key="remove_doc")
    assert box.value is None  # nothing chosen in advance
    assert "Sistem Pemerintahan Berbasis Elektronik (SPBE) (spbe.md)" in box.options  # the title, then the file
    assert any(o.startswith("2 dokumen: ") and o.endswith("(adminduk.jsonl)") for o in box.options)  # a file, whole
    delete = next(b for b in at.button if b.label.startswith("Hapus"))
    assert delete.disabled
    box.set_value("spbe.md").run()
    at.checkbox(key="remove_confirm").check().run()
    next(b for b in at.button if b.label.startswith("Hapus")).click().run()
    assert not at.exception
    assert any("Dihapus: spbe.md" in html.unescape(i.value) for i in at.info)  # messages are escaped
    assert any("dokumen ditambahkan" in s.value for s in at.success)  # the update, in words
    assert at.selectbox(key="remove_doc").value is None and not at.checkbox(key="remove_confirm").value
    assert next(b for b in at.button if b.label.startswith("Hapus")).disabled  # one more click deletes nothing
    assert not any("(spbe.md)" in o for o in at.selectbox(key="remove_doc").options)


def test_library_messages_are_shown_in_the_interface_language() -> None:
    from egov_qa import interface

    cases = {
        "kosong.md: the file is empty": "kosong.md: file kosong",
        "berita.md already exists in the corpus; replace it explicitly to overwrite it": "berita.md sudah ada di korpus",
        "'setup.exe': unsupported file type .exe; use one of .txt, .md": "'setup.exe': jenis file .exe tidak didukung",
        "Could not fetch http://contoh.go.id/: the server answered HTTP 404 Not Found": "Gagal mengambil http://contoh.go.id/",
    }
    for english, indonesian in cases.items():
        assert interface.in_language(english, "id").startswith(indonesian), english
        assert interface.in_language(english, "en") == english
    assert interface.in_language("sesuatu yang tidak dikenal", "id") == "sesuatu yang tidak dikenal"


def test_a_tick_for_one_file_never_deletes_another(fake_index: Index) -> None:
    at = run_app()
    at.sidebar.radio(key="page").set_value("corpus").run()
    at.selectbox(key="remove_doc").set_value("oss.html").run()
    at.checkbox(key="remove_confirm").check().run()
    at.selectbox(key="remove_doc").set_value("spbe.md").run()  # the reader changes their mind
    assert not at.checkbox(key="remove_confirm").value
    assert next(b for b in at.button if b.label.startswith("Hapus")).disabled


def test_a_year_range_outside_the_index_falls_back_and_chips_remove_filters(fake_index: Index) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(q="layanan", **{"from": "2030", "to": "2040"})
    at.run()
    assert not at.exception
    assert at.sidebar.slider(key="w_f_years").value == (2022, 2024)  # no filter: every year the index holds
    at.sidebar.slider(key="w_f_years").set_value((2024, 2024)).run()
    at.sidebar.multiselect(key="w_f_category").set_value(["SPBE"]).run()
    ask(at, "layanan publik")
    chips = [b for b in at.button if b.label.startswith("✕")]
    assert [c.label for c in chips] == ["✕ Kategori: SPBE", "✕ Tahun: 2024–2024"]
    chips[1].click().run()
    assert not at.exception and at.sidebar.slider(key="w_f_years").value == (2022, 2024)
    next(b for b in at.button if b.label.startswith("✕")).click().run()
    assert at.sidebar.multiselect(key="w_f_category").value == [] and not any(
        b.label.startswith("✕") for b in at.button
    )


def test_odd_links_open_without_errors(fake_index: Index) -> None:
    for params in ({"q": "SPBE", "k": "²", "from": "²", "to": "³"}, {"q": "SPBE", "from": "2024", "to": "2022"}):
        at = AppTest.from_file(APP, default_timeout=30)
        at.query_params.update(params)
        at.run()
        assert not at.exception and not at.error, params
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["q"] = "SPBE"
    at.query_params["category"] = ["SPBE", "SPBE"]
    at.run()
    assert not at.exception and at.sidebar.multiselect(key="w_f_category").value == ["SPBE"]


def test_the_question_survives_a_visit_to_the_corpus_page(fake_index: Index) -> None:
    at = run_app()
    ask(at, "Siapa yang mengevaluasi SPBE?")
    at.sidebar.radio(key="page").set_value("corpus").run()
    at.sidebar.radio(key="page").set_value("ask").run()
    assert at.text_input(key="question").value == "Siapa yang mengevaluasi SPBE?" and cards(at)


def test_filter_chips_show_corpus_text_as_text(tmp_path, fake_settings) -> None:  # noqa: ANN001
    from egov_qa import Document, build_index

    category = "[Masuk ulang](https://phish.example/login) **tebal**"
    build_index([Document("a", "Layanan publik daring.", metadata={"category": category})],
                fake_settings.index_dir, settings=fake_settings)  # fmt: skip
    at = run_app()
    at.sidebar.multiselect(key="w_f_category").set_value([category]).run()
    ask(at, "layanan publik")
    label = next(b.label for b in at.button if b.label.startswith("✕"))
    assert "](" not in label and "**" not in label and "Masuk ulang" in label


def test_glosses_are_found_in_the_whole_passage() -> None:
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        import app_render
    finally:
        sys.path.remove(str(ROOT))
    text = "Pelaku usaha memperoleh Nomor Induk Berusaha lewat OSS."
    glosses = [(24, 44, "business identification number")]
    # a mark that cuts the term in two ("Nomor Induk" | " Berusaha") keeps the term's own gloss on both halves
    first, second = app_render.glossed(text[:35], glosses, 0), app_render.glossed(text[35:], glosses, 35)
    assert first.count('title="business identification number"') == 1
    assert second.count('title="business identification number"') == 1
