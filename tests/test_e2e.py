"""End to end in a real browser: egov-qa serve on localhost, Debian's Chromium driven by Playwright.

Uses the real default model over the shipped corpus (marked slow). Screenshots go to tmp_path,
and also to $EGOV_QA_SCREENSHOTS_DIR when set (that is how docs/screenshots/ is refreshed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from egov_qa import Settings, build_index, interface, labels
from egov_qa.reading import provision_reader

from .conftest import MODELS_CACHE, ROOT, free_port, shared

CHROMIUM = Path("/usr/bin/chromium")
ARTICLE = """---
title: Mal Pelayanan Publik Digital Diluncurkan
date: 2025-06-12
source: Catatan uji egov-qa
category: Pelayanan
type: artikel
---
Mal Pelayanan Publik Digital (MPP Digital) menyatukan layanan dari berbagai instansi dalam satu aplikasi.
Warga cukup memakai satu akun untuk mengurus izin, dokumen kependudukan, dan layanan perpajakan tanpa datang ke kantor.
"""
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)"
    ),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path)


@pytest.fixture
def protected_server(tmp_path: Path) -> Iterator[str]:
    """The app served to every interface, with an admin password."""
    yield from _serve(tmp_path, "--host", "0.0.0.0", "--admin-password", "kunci-uji")


@pytest.fixture
def regulation_server(tmp_path: Path) -> Iterator[str]:
    """The shipped corpus and UU 25/2009 (its page texts from ../shared/data as a JSONL line)."""
    with open(shared("regulations_id", "documents.jsonl"), encoding="utf-8") as fh:
        row = json.loads(next(line for line in fh if '"UU-2009-025-PELAYANAN-PUBLIK"' in line[:80]))
    line = json.dumps({"id": "UU-2009-025", "pages": row["pages"], "type": "UU", "year": 2009})
    yield from _serve(tmp_path, extra_files={"uu-25-2009.jsonl": line + "\n"})


def _serve(tmp_path: Path, *extra: str, extra_files: dict[str, str] | None = None) -> Iterator[str]:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    for name, text in (extra_files or {}).items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, index, settings=Settings(models_dir=MODELS_CACHE))
    provision_reader(MODELS_CACHE)  # built once here, not by the server's first answer
    port = free_port()
    env = {**os.environ, "EGOV_QA_MODELS_DIR": str(MODELS_CACHE)}
    cmd = [
        sys.executable,
        "-m",
        "egov_qa",
        "serve",
        "--index",
        str(index),
        "--corpus",
        str(corpus),
        "--port",
        str(port),
        *extra,
    ]
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("egov-qa serve did not come up: " + (tmp_path / "serve.log").read_text())
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _shoot(page: object, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    target = os.environ.get("EGOV_QA_SCREENSHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)


def _english_on(page: object, wait: float = 30.0) -> list[str]:
    """Return the English strings (ours and Streamlit's) still shown once the page has settled."""
    ours = [en for key, en in interface.INTERFACE["en"].items() if en != interface.INTERFACE["id"][key]]
    english = [*ours, *labels("en").values(), "Press Enter", "Choose options", "Deploy", "Clear cache", "Browse files"]
    found: list[str] = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:  # a rerun replaces the previous answer's elements one by one
        shown = page.locator("[data-testid=stAppViewContainer]").inner_text()  # type: ignore[attr-defined]
        # the language and page switches are bilingual on purpose: each reader finds them
        for bilingual in [*interface.PAGES.values(), *interface.LANGUAGES.values(), "Bahasa / Language"]:
            shown = shown.replace(bilingual, "")
        found = [e for e in english if e in shown]
        if not found:
            break
        time.sleep(0.5)
    return found


@contextmanager
def _chromium(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """Debian's Chromium driven by Playwright: (browser, a 1280x900 page); a failure keeps a screenshot and the log."""
    from playwright.sync_api import expect, sync_playwright

    flags = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"]  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(180_000)
        expect.set_options(timeout=180_000)  # the first page loads the model (tens of seconds on 2 cores)
        try:
            yield browser, page
        except Exception as exc:
            # leave what is needed to see why: the page as it was, and the server's log
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            log = (tmp_path / "serve.log").read_text()[-4000:]
            exc.add_note(f"screenshot: {tmp_path / 'failure.png'}\nserver log (tail):\n{log}")
            raise
        browser.close()


def _ask(page: object, question: str) -> None:
    box = page.get_by_placeholder("Tanyakan sesuatu…").or_(page.get_by_placeholder("Ask a question…"))  # type: ignore[attr-defined]
    box.fill(question)
    box.press("Enter")


def test_ask_in_both_languages_and_add_an_article(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with _chromium(tmp_path) as (browser, page):
        page.goto(server)
        expect(page.get_by_text("Apa fungsi Nomor Induk Berusaha (NIB)?")).to_be_visible()
        _shoot(page, tmp_path, "home.png")

        _ask(page, "What does the business identification number do?")
        expect(page.get_by_text("Related passages")).to_be_visible()
        evidence = page.locator("mark.ev").first
        expect(evidence).to_be_visible()
        marked = " ".join(page.locator("mark.ev").all_inner_texts())
        assert "NIB" in marked and "usaha" in marked  # the Indonesian sentence that answers it
        page.wait_for_function("document.documentElement.lang === 'en'")
        gloss = page.locator("abbr.gloss").first  # an Indonesian term with its English on hover
        expect(gloss).to_be_visible()
        assert gloss.get_attribute("title")
        expect(page.locator("mark.term").first).to_be_visible()  # glossary terms of the English question
        _shoot(page, tmp_path, "ask-english.png")

        _ask(page, "Siapa yang mengevaluasi penerapan SPBE?")
        expect(page.get_by_text("Bagian teks terkait")).to_be_visible()
        # the confidence in a word and a percentage, in the page's language
        expect(page.get_by_text(re.compile(r"Keyakinan: (tinggi|sedang) \(\d{1,3}%\)"))).to_be_visible()
        expect(page.locator("mark.term").first).to_be_visible()
        assert "PANRB" in " ".join(page.locator("mark.ev").all_inner_texts())
        page.wait_for_function("document.documentElement.lang === 'id'")
        assert "q=Siapa" in page.url and "lang=id" in page.url  # the question is in the link
        assert _english_on(page) == [], "the Indonesian page speaks Indonesian"
        _shoot(page, tmp_path, "ask-indonesian.png")

        page.go_back()  # the back button returns to the previous question
        expect(page.get_by_text("Related passages")).to_be_visible()
        expect(page.get_by_placeholder("Ask a question…")).to_have_value(
            "What does the business identification number do?"
        )
        page.get_by_text("Bahasa Indonesia").click()  # chosen by hand: the interface stays Indonesian
        expect(page.get_by_text("Bagian teks terkait")).to_be_visible()

        page.get_by_text("Korpus / Corpus").click()
        upload = tmp_path / "mpp-digital.md"
        upload.write_text(ARTICLE, encoding="utf-8")
        # the file's name shows before its upload is done: wait for the server's answer to the upload itself
        with page.expect_response(lambda r: "upload_file" in r.url and r.request.method == "PUT"):
            page.locator("input[type=file]").set_input_files(str(upload))
        expect(page.get_by_text("mpp-digital.md")).to_be_visible()  # uploaded before the form is sent
        page.get_by_role("button", name="Tambahkan dan perbarui indeks").click()
        expect(page.get_by_text("Indeks diperbarui:")).to_be_visible()
        _shoot(page, tmp_path, "corpus.png")

        page.get_by_text("Tanya / Ask").click()
        _ask(page, "Apa itu MPP Digital?")
        expect(page.locator(".egov-hit").first).to_contain_text("Mal Pelayanan Publik Digital Diluncurkan")

        # a shared link opens its answer, on a phone-sized screen
        phone = browser.new_page(viewport={"width": 400, "height": 900})
        phone.goto(f"{server}/?q=Di+mana+warga+menyampaikan+pengaduan%3F&lang=id&mode=hybrid&k=5")
        expect(phone.get_by_text("Jawaban", exact=True)).to_be_visible()
        expect(phone.locator("mark.ev").first).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 400  # nothing runs off the side
        _shoot(phone, tmp_path, "ask-mobile.png")
        phone.goto(f"{server}/?q=How+can+citizens+file+a+complaint+about+public+services%3F&lang=en")
        expect(phone.get_by_text("Answer", exact=True)).to_be_visible()
        expect(phone.locator("abbr.gloss").first).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 400
        _shoot(phone, tmp_path, "ask-mobile-english.png")


def test_corpus_management_needs_the_password_and_asks_again_for_each_deletion(
    protected_server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with _chromium(tmp_path) as (browser, page):
        page.goto(protected_server)
        page.get_by_text("Korpus / Corpus").click()
        password = page.get_by_label("Kata sandi admin")
        expect(password).to_be_visible()
        assert page.locator("input[type=file]").count() == 0  # read-only until unlocked
        password.fill("salah")
        page.get_by_role("button", name="Buka pengelolaan korpus").click()
        expect(page.get_by_text("Kata sandi salah.")).to_be_visible()
        password.fill("kunci-uji")
        page.get_by_role("button", name="Buka pengelolaan korpus").click()
        expect(page.locator("input[type=file]")).to_have_count(1)

        delete = page.get_by_role("button", name="Hapus dan perbarui indeks")
        expect(delete).to_be_disabled()
        page.get_by_role("combobox", name="Hapus dokumen").click()
        page.keyboard.type("spbe-arsitektur")  # the list filters as one types
        page.keyboard.press("Enter")
        page.get_by_text("Ya, hapus file ini dari korpus").click()
        expect(delete).to_be_enabled()
        delete.click()
        expect(page.get_by_text("Dihapus: spbe-arsitektur-dan-indeks.md")).to_be_visible()
        expect(page.get_by_role("button", name="Hapus dan perbarui indeks")).to_be_disabled()  # asked anew
        _shoot(page, tmp_path, "corpus-protected.png")


def test_a_regulation_is_cited_by_pasal_and_its_pasal_opens_with_the_penjelasan(
    regulation_server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with _chromium(tmp_path) as (_, page):
        page.goto(regulation_server)
        _ask(page, "Berapa hari penyelenggara wajib menanggapi pengaduan masyarakat?")
        expect(page.get_by_text("Bagian teks terkait")).to_be_visible()
        expect(page.get_by_text(re.compile(r"UU 25/2009 Pasal \d+")).first).to_be_visible()
        expect(page.locator("[data-testid=stCode]").first).to_contain_text("UU 25/2009 Pasal")  # the copy box too
        _shoot(page, tmp_path, "regulation-answer.png")

        _ask(page, "Pasal 21 UU 25/2009")  # a citation: that Pasal first
        expect(page.get_by_text("UU 25/2009 Pasal 21, hlm. 20").first).to_be_visible()
        page.get_by_role("button", name="Buka Pasal 21 dalam peraturan").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_text("Bunyi Pasal 21")).to_be_visible()
        expect(dialog.get_by_text("Peraturan perundang-undangan yang menjadi dasar")).to_be_visible()  # Penjelasan
        _shoot(page, tmp_path, "regulation-article.png")
        dialog.get_by_role("button", name="Pasal 22 ›").click()
        expect(dialog.get_by_text("Bunyi Pasal 22")).to_be_visible()
