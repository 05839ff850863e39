"""The Streamlit app through streamlit.testing's AppTest, over a real index built with the fake embedder."""

from __future__ import annotations

import html
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from streamlit.testing.v1 import AppTest

from egov_qa import Document, Index, Settings, build_index, load_index
from egov_qa.manifest import MANIFEST_NAME

from .conftest import ROOT, shared

APP = str(ROOT / "app.py")


def _render_module() -> ModuleType:
    """Load the app's rendering helpers (app_render.py beside app.py) to compare with what the page shows."""
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module("app_render")
    finally:
        sys.path.remove(str(ROOT))


safe, plain = _render_module().safe, _render_module().plain
XSS = Document(
    "xss.md",
    "Berita palsu <script>alert('x')</script> tentang pelayanan publik. "
    "Gambar <img src=x onerror=alert(1)> juga ada di sini.",
    title="<b>Judul</b> berbahaya",
    metadata={"url": "javascript:alert(1)"},
)


@pytest.fixture
def app_index(fake_index: Index) -> Path:
    return fake_index.path


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    return at.run()


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="question").input(question)
    return next(b for b in at.button if b.label in ("Tanya", "Ask")).click().run()


def html_of(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_empty_page_offers_examples_in_both_languages(app_index: Path) -> None:
    at = run_app()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert "Apa fungsi Nomor Induk Berusaha (NIB)?" in labels
    assert "What does the business identification number do?" in labels
    assert at.text_input(key="question").placeholder == "Tanyakan sesuatu…"


def test_asking_in_indonesian_shows_marked_evidence_and_cites_it(app_index: Path) -> None:
    at = run_app()
    at.button(key="ex-id-0").click().run()
    assert not at.exception
    page = html_of(at)
    assert '<mark class="ev">' in page and '<mark class="term">' in page
    assert "Bahasa Indonesia" in [c.value.split(": ")[-1] for c in at.caption]
    assert at.session_state["ui_lang"] == "id"
    # the fake model has no calibrated threshold, so it always answers; the card cites what ask cites
    expected = load_index(app_index, settings=Settings.from_env()).ask("Apa fungsi Nomor Induk Berusaha (NIB)?")
    assert any(c.value.startswith("Jawaban ditemukan.") for c in at.caption) and not at.warning
    assert "Jawaban" in [s.value for s in at.subheader]  # the answer comes first, under its heading
    assert at.code[0].value.startswith(expected.evidence[0].citation.text("id"))  # the citation to copy
    # the confidence as ask gives it, in a word and a percentage
    level = {"high": "tinggi", "medium": "sedang", "low": "rendah"}[expected.level]
    assert any(f"(Keyakinan: {level} ({expected.confidence:.0%}))" in c.value for c in at.caption)
    assert f"Sumber: {safe(expected.evidence[0].citation.text('id'))}" in page


def test_an_english_question_switches_the_interface_to_english(app_index: Path) -> None:
    at = run_app()
    ask(at, "Who records the e-KTP?")
    assert not at.exception
    assert at.session_state["ui_lang"] == "en"
    assert any(c.value.endswith("English") for c in at.caption)
    assert "Related passages" in [s.value for s in at.subheader]
    # the switch still works by hand afterwards
    at.sidebar.radio(key="ui_lang").set_value("id").run()
    assert at.session_state["ui_lang"] == "id" and at.text_input(key="question").placeholder == "Tanyakan sesuatu…"


def test_no_confident_answer_still_shows_the_closest_passages(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("egov_qa.api.threshold_for", lambda name, model=None, read=True: 1.0)  # nothing reaches it
    at = run_app()
    ask(at, "Siapa yang menerbitkan NIB?")
    assert not at.exception
    assert at.warning and at.warning[0].value.startswith("Tidak ditemukan jawaban yang meyakinkan")
    assert "(Keyakinan: rendah (" in at.warning[0].value
    page = html_of(at)
    assert page.count("egov-hit") >= 1 and '<mark class="ev">' not in page  # no sentence shown as the answer


def test_filters_restrict_the_results(app_index: Path) -> None:
    at = run_app()
    at.sidebar.multiselect[-1].set_value(["SPBE"])  # category
    ask(at, "layanan pengaduan dan perizinan")
    assert not at.exception
    cards = [m.value for m in at.markdown if "egov-hit" in m.value]
    assert cards and all(safe("spbe.md") in c for c in cards)


def test_corpus_text_is_escaped_before_it_is_marked(tmp_path: Path, fake_settings: Settings) -> None:
    build_index([XSS], fake_settings.index_dir, settings=fake_settings)
    at = run_app()
    ask(at, "berita palsu pelayanan publik")
    assert not at.exception
    page = html_of(at)
    assert safe("<script>alert('x')</script>") in page and "&#60;script&#62;" in page
    assert safe("<img src=x onerror=alert(1)>") in page and safe("<b>Judul</b>") in page
    assert "<script>" not in page and "<img" not in page and "<b>Judul" not in page
    assert 'href="javascript' not in page and safe("javascript:alert(1)") in page  # shown, never a link


def _upload(at: AppTest, files: list[tuple[str, bytes, str]]) -> AppTest:
    at.file_uploader[0].set_value(files)
    return at.form_submit_button[0].click().run()


def test_bad_uploads_are_refused_and_the_index_stays_as_it_was(
    app_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from egov_qa import manage

    monkeypatch.setattr(manage, "MAX_UPLOAD_BYTES", 4096)
    before = json.loads((app_index / MANIFEST_NAME).read_text())
    corpus = Path(Settings.from_env().corpus_dir)
    files_before = sorted(p.name for p in corpus.iterdir())
    at = run_app()
    at.sidebar.radio(key="page").set_value("corpus").run()
    _upload(
        at,
        [
            ("gambar.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "text/plain"),
            ("besar.md", b"kata " * 2000, "text/markdown"),
            ("../../keluar.md", b"Teks yang mencoba keluar dari folder korpus.", "text/markdown"),
        ],
    )
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    # refused with the reason, in the interface's language, each naming its file
    errors = html.unescape(errors)
    assert "gambar.txt: file biner" in errors
    assert "melebihi batas" in errors and "tidak boleh berisi folder" in errors and "over the" not in errors
    assert sorted(p.name for p in corpus.iterdir()) == files_before
    after = json.loads((app_index / MANIFEST_NAME).read_text())
    assert after["generation"] == before["generation"] and after["counts"] == before["counts"]


def test_a_good_upload_is_indexed_and_found_then_removed(app_index: Path) -> None:
    at = run_app()
    at.sidebar.radio(key="page").set_value("corpus").run()
    article = "---\ntitle: Mal Pelayanan Publik Digital\n---\nMal Pelayanan Publik Digital menyatukan layanan antarinstansi.\n"
    _upload(at, [("mpp digital.md", article.encode(), "text/markdown")])
    assert not at.exception and not at.error
    assert any("Indeks diperbarui" in s.value for s in at.success)
    manifest = json.loads((app_index / MANIFEST_NAME).read_text())
    assert manifest["last_ingest"]["added"] == 1
    at.sidebar.radio(key="page").set_value("ask").run()
    ask(at, "Mal Pelayanan Publik Digital")
    assert safe("mpp-digital.md") in html_of(at)
    at.sidebar.radio(key="page").set_value("corpus").run()
    at.selectbox(key="remove_doc").set_value("mpp-digital.md").run()
    at.checkbox(key="remove_confirm").check().run()
    next(b for b in at.button if b.label.startswith("Hapus")).click().run()
    assert not at.exception
    assert json.loads((app_index / MANIFEST_NAME).read_text())["last_ingest"]["removed"] == 1


def test_a_url_is_fetched_saved_and_indexed(app_index: Path, local_site: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGOV_QA_ALLOWED_HOSTS", "127.0.0.1")  # the test's page is on loopback
    at = run_app()
    at.sidebar.radio(key="page").set_value("corpus").run()
    at.text_input[0].input(f"{local_site}/berita/mpp-digital")
    next(b for b in at.button if b.label.startswith("Ambil")).click().run()
    assert not at.exception and not at.error
    corpus = Path(Settings.from_env().corpus_dir)
    saved = [p for p in corpus.iterdir() if p.name == "Mal-Pelayanan-Publik-Digital.md"]
    assert saved and "menyatukan layanan dari berbagai instansi" in saved[0].read_text()
    assert json.loads((app_index / MANIFEST_NAME).read_text())["last_ingest"]["added"] == 1
    at.text_input[0].input(f"{local_site}/hilang")
    next(b for b in at.button if b.label.startswith("Ambil")).click().run()
    assert any("Gagal mengambil" in e.value for e in at.error)


def test_without_an_index_the_app_says_how_to_build_one() -> None:
    at = run_app()
    assert not at.exception
    assert any("egov-qa ingest" in i.value for i in at.info)


def test_the_url_box_refuses_loopback_unless_allowed(app_index: Path, local_site: str) -> None:
    at = run_app()
    at.sidebar.radio(key="page").set_value("corpus").run()
    at.text_input[0].input(f"{local_site}/berita/mpp-digital")
    next(b for b in at.button if b.label.startswith("Ambil")).click().run()
    assert any("Tidak mengambil" in e.value and plain("EGOV_QA_ALLOWED_HOSTS") in e.value for e in at.error)
    assert not any(
        p.suffix == ".md" and "Pelayanan-Publik-Digital" in p.name for p in Settings.from_env().corpus_dir.iterdir()
    )


MARKDOWN_TXT = (
    '---\ntitle: "Judul\\n\\n![pelacak](http://127.0.0.1:9/t.png)"\n---\n'
    "Lihat [tautan jahat](http://127.0.0.1:9/x) dan ![gambar](http://127.0.0.1:9/y.png) tentang pelayanan publik.\n\n"
    "# Judul palsu\n\n$x^2$ :material/warning: www.contoh-jahat.example **tebal**\n"
)


def test_markdown_in_corpus_text_is_shown_as_text(fake_settings: Settings) -> None:
    corpus = fake_settings.corpus_dir
    corpus.mkdir(parents=True)
    (corpus / "md.txt").write_text(MARKDOWN_TXT, encoding="utf-8")
    (corpus / "[tautan](http:--127.0.0.1:9).txt").write_text("")  # skipped as empty: its name is shown
    report = build_index(corpus, fake_settings.index_dir, settings=fake_settings)
    assert report.added == ("md.txt",) and len(report.skipped) == 1
    at = run_app()
    ask(at, "tautan gambar pelayanan publik")
    assert not at.exception
    page = html_of(at)
    for markup in ("](", "![", "[tautan", "# Judul", "$x", ":material", "**tebal", "www.contoh"):
        assert markup not in page, markup
    assert safe("![gambar](http://127.0.0.1:9/y.png)") in page and safe("![pelacak]") in page
    at.sidebar.radio(key="page").set_value("corpus").run()
    assert not at.table  # the skipped-files list is a data table: its text is never read as Markdown
    assert any("[tautan](http:--127.0.0.1:9).txt" in str(df.value) for df in at.dataframe)


def test_messages_quoting_files_show_markdown_as_text(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGOV_QA_MODEL", "fake")
    corpus = fake_settings.corpus_dir
    corpus.mkdir(parents=True)
    link = "[Masuk ulang di sini](https://phish.example/login)"
    (corpus / "data.jsonl").write_text(
        json.dumps({"id": link, "text": "Layanan publik daring."})
        + "\n"
        + json.dumps({"id": link, "text": "Lagi."})
        + "\n"
    )
    at = run_app()
    at.sidebar.radio(key="page").set_value("corpus").run()
    next(b for b in at.button if b.label.startswith("Bangun / perbarui")).click().run()
    assert not at.exception
    messages = [m.value for kind in ("warning", "error", "info", "success") for m in getattr(at, kind)]
    assert any("id ganda" in m for m in messages)  # the reason, in the interface's language
    assert not any("](" in m for m in messages), messages


def test_carriage_returns_cannot_end_the_passage_markup() -> None:
    for text in ("baris\r\r\tkode", "a\r\nb", "a\u2028b\u2029c\x85d"):
        assert not any(c in safe(text) for c in "\r\n\u2028\u2029\x85")


def test_the_short_answer_is_bold_inside_the_escaped_evidence_sentence() -> None:
    render = _render_module()
    sentence = "Evaluasi <SPBE> dilakukan oleh Kementerian PANRB setiap tahun."
    start = sentence.index("Kementerian")
    out = render.answer_sentence_html(sentence, (start, start + len("Kementerian PANRB")))
    assert f"<strong>{safe('Kementerian PANRB')}</strong>" in out
    assert "<SPBE>" not in out and safe("<SPBE>") in out
    assert render.answer_sentence_html(sentence, None) == safe(sentence)


def test_a_regulation_is_cited_by_pasal_and_opens_with_its_penjelasan(tmp_path: Path, fake_settings: Settings) -> None:
    pages = json.loads(
        next(
            line
            for line in shared("regulations_id", "documents.jsonl").open(encoding="utf-8")
            if '"UU-2009-025-PELAYANAN-PUBLIK"' in line[:80]
        )  # fmt: skip
    )["pages"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "uu.jsonl").write_text(json.dumps({"id": "UU-25-2009", "pages": pages}) + "\n", encoding="utf-8")
    build_index(corpus, fake_settings.index_dir, settings=fake_settings)
    at = ask(run_app(), "Pasal 21 UU 25/2009")
    page = html_of(at)
    assert "<b>UU 25&#47;2009 Pasal 21, hlm&#46; 20</b>" in page  # the card cites the Pasal, escaped
    opener = next(b for b in at.button if b.label == "Buka Pasal 21 dalam peraturan")
    at = opener.click().run()
    page = html_of(at)
    assert "Bunyi Pasal 21" in page and "Penjelasan" in page
    assert safe("Peraturan perundang-undangan yang menjadi dasar") in page  # its Penjelasan, beside it
    at = next(b for b in at.button if b.label == "Pasal 22 ›").click().run()
    assert "Bunyi Pasal 22" in html_of(at)


def _regulations_corpus(tmp_path: Path, rows: dict[str, dict]) -> Path:
    wanted = set(rows)
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    with (
        shared("regulations_id", "documents.jsonl").open(encoding="utf-8") as fh,
        open(corpus / "regs.jsonl", "w", encoding="utf-8") as out,
    ):
        for line in fh:
            doc_id = json.loads(line[: line.index('"type"') - 2] + "}")["doc_id"]
            if doc_id in wanted:
                out.write(json.dumps({"id": doc_id, "pages": json.loads(line)["pages"], **rows[doc_id]}) + "\n")
    return corpus


def test_hiding_repealed_regulations_shows_a_chip_and_a_link(tmp_path: Path, fake_settings: Settings) -> None:
    old = "PERPRES-2010-016-PENGGUNAAN-BAHASA-INDONESIA-DALAM-PIDATO-RESMI-PRESIDEN-DAN-ATAU-WAKIL-PRESIDEN-SERTA-PEJABAT-NEGARA-LAINNYA"
    new = "PERPRES-2019-062-PENGGUNAAN-BAHASA-INDONESIA"
    corpus = _regulations_corpus(tmp_path, {old: {}, new: {}})
    build_index(corpus, fake_settings.index_dir, settings=fake_settings)
    at = run_app()
    at.checkbox(key="w_f_hide_repealed").check().run()
    at = ask(at, "bahasa Indonesia dalam pidato resmi presiden")
    page = html_of(at)
    assert "Perpres 16&#47;2010" not in page and "Perpres 63&#47;2019" in page
    chip = next(b for b in at.button if b.label == "✕ Sembunyikan peraturan yang sudah dicabut")
    assert at.query_params["repealed"] in ("hide", ["hide"])  # the link keeps the filter
    at = chip.click().run()
    assert "Perpres 16&#47;2010 Pasal" in html_of(at) and "dicabut dengan Perpres 63&#47;2019" in html_of(at)


def test_the_opened_pasal_shows_a_crafted_title_as_text(tmp_path: Path, fake_settings: Settings) -> None:
    title = "![x](https://evil.example/t.png) [klik](https://evil.example)"
    corpus = _regulations_corpus(tmp_path, {"UU-2009-025-PELAYANAN-PUBLIK": {"title": title}})
    build_index(corpus, fake_settings.index_dir, settings=fake_settings)
    at = ask(run_app(), "Pasal 21 UU 25/2009")
    at = next(b for b in at.button if b.label == "Buka Pasal 21 dalam peraturan").click().run()

    def blocks(node):  # noqa: ANN001, ANN202
        for child in getattr(node, "children", {}).values():
            yield child
            yield from blocks(child)

    dialogs = [b for b in blocks(at._tree) if type(b).__name__ == "Block" and b.proto.WhichOneof("type") == "dialog"]
    assert dialogs and dialogs[0].proto.dialog.title == plain(title)
