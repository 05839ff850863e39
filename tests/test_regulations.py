"""Regulations read as regulations, on real text from ../shared/data/regulations_id.

The parser (identity, Pasal, ayat/huruf, Penjelasan, amendments, OCR noise), Pasal-level chunks,
citations in both languages, lookups by citation, relations and the repealed filter.
"""

from __future__ import annotations

import json
import re
import sqlite3
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from egov_qa import Citation, Filters, Location, RegulationInfo, Settings, build_index, load_index
from egov_qa.chunking import ChunkParams
from egov_qa.cli import main as cli
from egov_qa.corpus.jsonl import jsonl_documents
from egov_qa.corpus.pdf import paged_document
from egov_qa.records import Document
from egov_qa.regulation import parse_regulation
from egov_qa.regulation.chunks import chunk_with_structure, unit_text
from egov_qa.regulation.cite import citation_query, short_name
from egov_qa.regulation.items import label_of
from egov_qa.regulation.relations import MINISTRIES, ministry
from egov_qa.regulation.structure import _heading

from .conftest import shared

UU_25 = "UU-2009-025-PELAYANAN-PUBLIK"
UU_11 = "UU-2008-011-INFORMASI-DAN-TRANSAKSI-ELEKTRONIK"
UU_19 = "UU-2016-019-PERUBAHAN-UU-11-2008-ITE"
PP_82 = "PP-2012-082-PENYELENGGARAAN-SISTEM-DAN-TRANSAKSI-ELEKTRONIK"
PERPRES_16 = "PERPRES-2010-016-PENGGUNAAN-BAHASA-INDONESIA-DALAM-PIDATO-RESMI-PRESIDEN-DAN-ATAU-WAKIL-PRESIDEN-SERTA-PEJABAT-NEGARA-LAINNYA"
PERPRES_63 = "PERPRES-2019-062-PENGGUNAAN-BAHASA-INDONESIA"
INDEXED = (UU_25, UU_11, UU_19, PP_82, PERPRES_16, PERPRES_63)


@cache
def _lines() -> dict[str, str]:
    found = {}
    with open(shared("regulations_id", "documents.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            doc_id = re.search(r'"doc_id":\s*"([^"]+)"', line)
            if doc_id:
                found[doc_id.group(1)] = line
    return found


def raw(doc_id: str) -> dict:
    return json.loads(_lines()[doc_id])


def document(doc_id: str) -> Document:
    """The regulation as the corpus reader reads a JSONL line of page texts."""
    row = raw(doc_id)
    docs, bad = jsonl_documents("regs.jsonl", json.dumps({"id": doc_id, "pages": row["pages"]}))
    assert not bad
    return docs[0]


def words(texts: list[str]) -> list[int]:
    return [len(t.split()) + 2 for t in texts]


# ---- the parser --------------------------------------------------------------------------------


def test_a_law_is_read_with_its_identity_articles_items_and_penjelasan() -> None:
    doc = document(UU_25)
    reg = parse_regulation(doc.text)
    assert reg is not None and reg.identity is not None
    ident = reg.identity
    assert (ident.kind, ident.number, ident.year, ident.title) == ("uu", "25", "2009", "Pelayanan Publik")
    assert ident.issuer == "PRESIDEN REPUBLIK INDONESIA"
    assert [u.pasal for u in reg.articles] == [str(n) for n in range(1, 63)]  # every Pasal once, in order
    assert [u.part for u in reg.units[:2]] == ["menimbang", "mengingat"]
    menimbang = reg.units[0]
    assert [p[-1][1] for _, p in menimbang.marks] == ["a", "b", "c", "d", "e"]
    pasal_15 = reg.article("15")
    assert pasal_15 is not None and pasal_15.bab == "BAB IV HAK, KEWAJIBAN, DAN LARANGAN"
    assert pasal_15.bagian == "Bagian Kesatu Hak dan Kewajiban bagi Penyelenggara"
    assert [p for _, p in pasal_15.marks][:3] == [(("huruf", "a"),), (("huruf", "b"),), (("huruf", "c"),)]
    pasal_44 = reg.article("44")
    assert pasal_44 is not None and [p[0] for _, p in pasal_44.marks if len(p) == 1] == [
        ("ayat", str(n)) for n in range(1, 6)
    ]
    explained = reg.article("21", "penjelasan")  # the Penjelasan's own "Pasal 21", linked to the body's
    assert explained is not None and explained.start > reg.articles[-1].end
    assert unit_text(doc.text, explained).startswith("Huruf a")
    assert ("huruf", "a") in [p[0] for _, p in explained.marks]
    assert {u.part for u in reg.units} >= {"penjelasan_umum", "penjelasan"}
    assert not reg.problems and not reg.amends and not reg.repeals


def test_references_inside_the_text_are_not_taken_for_headings() -> None:
    doc = document(UU_25)
    reg = parse_regulation(doc.text)
    assert reg is not None
    references = [m.start() for m in re.finditer(r"dimaksud (?:dalam|pada)\s+Pasal \d+", doc.text)]
    assert len(references) > 20  # the law refers to its own Pasal often
    starts = {u.start for u in reg.units}
    for at in references:
        line_start = doc.text.rfind("\n", 0, at + len("dimaksud dalam ")) + 1
        assert line_start not in starts


def test_an_amending_law_has_pasal_i_and_ii_and_names_the_law_it_amends() -> None:
    reg = parse_regulation(document(UU_19).text)
    assert reg is not None and reg.identity is not None
    assert reg.identity.token == "uu_19_2016" and reg.amending
    assert [u.pasal for u in reg.articles] == ["I", "II"]  # the quoted Pasal 27, 31, ... are UU 11/2008's
    assert [t for t, _ in reg.amends] == ["uu_11_2008"]  # read through the OCR of "NOMOR I1 TAHUN 2OO8"
    changes = [p[0][1] for _, p in reg.articles[0].marks if p and p[0][0] == "angka"]
    assert changes[:3] == ["1", "2", "3"]


def test_an_instruction_without_articles_is_read_by_its_numbered_instructions() -> None:
    reg = parse_regulation(document("INPRES-2020-006-PENINGKATAN-DISIPLIN-DAN-PENEGAKAN-HUKUM-PROTOKOL-COVID-19").text)
    assert reg is not None and reg.identity is not None and reg.identity.token == "inpres_6_2020"
    assert not reg.articles
    assert [u.pasal for u in reg.units if u.part == "diktum"][:2] == ["PERTAMA", "KEDUA"]


def test_ocr_noise_in_headings_and_numbers_is_read_through() -> None:
    reg = parse_regulation(document("UU-2014-005-Aparatur-Sipil-Negara").text)
    assert reg is not None
    assert reg.article("47") is not None  # its heading reads "PasaI 47"
    tapera = parse_regulation(document("UU-2016-004-TABUNGAN-PERUMAHAN-RAKYAT").text)  # "NOMOR 4 TAHUN 2Oi6"
    assert tapera is not None and tapera.identity is not None and tapera.identity.token == "uu_4_2016"
    assert tapera.article("31") is not None and tapera.article("50") is not None  # "Pasal 3l", "Pasal 5O"


@pytest.mark.parametrize(
    ("line", "label"),
    [("Pasal 21", "21"), ("Pasal42", "42"), ("Pasai 46", "46"), ("Pagal 48", "48"), ("Pasa.l 57", "57"),
     ("' Pasal 69", "69"), ("Pasal 59`", "59"), ("PASAL 1", "1"), ("Pasal 1 I", "11"), ("Pasal l0", "10"),
     ("PasaI 47", "47"), ("Pasal 3l", "31"), ("Pasal 5O", "50"), ("Pasal 27A", "27A"), ("Pasal II", "II")],
)  # fmt: skip
def test_ocrd_headings_are_read_as_headings(line: str, label: str) -> None:
    raw = _heading(line)
    assert raw is not None and label_of(raw) == label


@pytest.mark.parametrize(
    "line", ["Pasal 21 meliputi hak untuk:", "Pesan 5", "Ayat (21", "Pasal 3 Cukup jelas.", '"Pasal 35']
)
def test_lines_that_only_mention_a_pasal_are_no_headings(line: str) -> None:
    assert _heading(line) is None


def test_repeals_are_read_whole_or_in_part() -> None:
    bahasa = parse_regulation(document(PERPRES_63).text)
    assert bahasa is not None and [t for t, _ in bahasa.repeals] == ["perpres_16_2010"]
    kemenpan = parse_regulation(
        document("PERPRES-2015-047-KEMENTERIAN-PENDAYAGUNAAN-APARATUR-NEGARA-DAN-REFORMASI-BIROKRASI").text
    )
    assert kemenpan is not None and not kemenpan.repeals  # "ketentuan mengenai ... dalam ... dicabut"
    assert "perpres_165_2014" in [t for t, _ in kemenpan.partly_repeals]


def test_an_amendments_quoted_headings_belong_to_the_amended_law() -> None:
    reg = parse_regulation(document("UU-2018-002-PERUBAHAN-II-UU-NO-17-2014-TENTANG-MPR-DPR-DPD-DAN-DPRD").text)
    assert reg is not None and [u.pasal for u in reg.articles] == ["I", "II"]
    first, second = reg.articles
    assert second.start - first.start > 20_000  # Pasal I runs through the quoted BAB and Bagian
    assert not second.bab and not second.bagian


def test_an_instructions_signature_is_not_its_last_instruction() -> None:
    doc = document("INPRES-2020-006-PENINGKATAN-DISIPLIN-DAN-PENEGAKAN-HUKUM-PROTOKOL-COVID-19")
    reg = parse_regulation(doc.text)
    assert reg is not None
    last = [u for u in reg.units if u.part == "diktum"][-1]
    assert "JOKO WIDODO" not in doc.text[last.start : last.end]


def test_a_title_wrapped_onto_an_ordinal_is_no_instruction() -> None:
    text = (
        "UNDANG-UNDANG REPUBLIK INDONESIA\nNOMOR 2 TAHUN 2018\nTENTANG\nPERUBAHAN\n"
        "KEDUA ATAS UNDANG-UNDANG NOMOR 17 TAHUN 2014\n\nMenimbang : a. bahwa x;\n\nMEMUTUSKAN:\n\nPasal I\nIsi.\n"
    )
    reg = parse_regulation(text)
    assert reg is not None and not [u for u in reg.units if u.part == "diktum"]
    instruction = "INSTRUKSI PRESIDEN\nNOMOR 9 TAHUN 2020\nTENTANG\nX\n\nMEMUTUSKAN:\n" + "".join(
        f"{o} : Melaksanakan tugas {i}.\n"
        for i, o in enumerate(
            [
                "KESATU",
                "KEDUA",
                "KETIGA",
                "KEEMPAT",
                "KELIMA",
                "KEENAM",
                "KETUJUH",
                "KEDELAPAN",
                "KESEMBILAN",
                "KESEPULUH",
                "KESEBELAS",
                "KEDUA BELAS",
            ]
        )  # fmt: skip
    )
    reg = parse_regulation(instruction)
    assert reg is not None and [u.pasal for u in reg.units if u.part == "diktum"][-2:] == ["KESEBELAS", "KEDUA BELAS"]


def test_an_amendment_is_of_the_regulation_named_after_atas() -> None:
    text = (
        "PERATURAN DAERAH PROVINSI DKI JAKARTA\nNOMOR 1 TAHUN 2001\nTENTANG\nPERUBAHAN ATAS KETENTUAN PIDANA DALAM "
        "PERATURAN DAERAH YANG DIKELUARKAN SEBELUM BERLAKUNYA UNDANG-UNDANG NOMOR 22 TAHUN 1999\n\n"
        "MEMUTUSKAN:\n\nPasal 1\nIsi.\n\nPasal 2\nIsi.\n"
    )
    reg = parse_regulation(text)
    assert reg is not None and reg.amends == ()  # it amends provisions of many Perda, not UU 22/1999
    amending = parse_regulation(document(UU_19).text)
    assert amending is not None and [t for t, _ in amending.amends] == ["uu_11_2008"]


def test_in_so_far_as_makes_only_its_own_item_a_partial_repeal() -> None:
    text = (
        "UNDANG-UNDANG REPUBLIK INDONESIA\nNOMOR 12 TAHUN 2006\nTENTANG\nX\n\nMEMUTUSKAN:\n\nPasal 1\nIsi.\n\n"
        "Pasal 2\nPada saat Undang-Undang ini mulai berlaku: a. Undang-Undang Nomor 62 Tahun 1958 tentang A; dan "
        "b. Peraturan Pemerintah Nomor 67 Tahun 1958 sepanjang mengatur B, dicabut dan dinyatakan tidak berlaku.\n"
    )
    reg = parse_regulation(text)
    assert reg is not None
    assert [t for t, _ in reg.repeals] == ["uu_62_1958"] and [t for t, _ in reg.partly_repeals] == ["pp_67_1958"]


def test_an_amendments_penjelasan_title_is_not_an_annexed_regulation() -> None:
    reg = parse_regulation(document("UU-2008-012-PERUBAHAN-DUA-UU-NO-32-2004-PEMERINTAHAN-DAERAH").text)
    assert reg is not None and [u.pasal for u in reg.articles] == ["I", "II"]
    assert [u.pasal for u in reg.units if u.part == "penjelasan"] == ["I", "II"]
    assert not [u for u in reg.units if u.part == "lampiran"]


def test_a_repeal_names_the_type_written_beside_the_number() -> None:
    text = (
        "PERATURAN PEMERINTAH REPUBLIK INDONESIA\nNOMOR 25 TAHUN 2020\nTENTANG\nX\n\nMEMUTUSKAN:\n\nPasal 1\n"
        "Pada saat Peraturan Pemerintah ini mulai berlaku, Keputusan Presiden Nomor 14 Tahun 1993 tentang Y "
        "dicabut dan dinyatakan tidak berlaku.\n\nPasal 2\nUndang-Undang Nomor 1 Tahun 1950 dicabut dan "
        "dinyatakan tidak berlaku sepanjang mengatur Z.\n"
    )
    reg = parse_regulation(text)
    assert reg is not None
    assert reg.repeals == (("keppres_14_1993", "Keputusan Presiden Nomor 14 Tahun 1993"),)
    assert [t for t, _ in reg.partly_repeals] == ["uu_1_1950"]  # "sepanjang ...": in so far as


def test_an_article_is_not_a_regulation() -> None:
    assert (
        parse_regulation(Path(__file__).parents[1].joinpath("corpus", "egov-indonesia-2024-11-19.txt").read_text())
        is None
    )


# ---- pages and chunks --------------------------------------------------------------------------


def test_a_sentence_running_over_a_page_break_stays_whole() -> None:
    doc = paged_document("d", ["Pasal 3\nPenyelenggara wajib menyediakan", "sarana pengaduan.\n\nPasal 4\nCukup."],
                         title="", metadata={})  # fmt: skip
    assert "menyediakan\nsarana pengaduan." in doc.text
    assert doc.text[doc.pages[1] :].startswith("sarana")
    ended = paged_document("e", ["Kalimat selesai.", "Kalimat baru."], title="", metadata={})
    assert ended.text == "Kalimat selesai.\n\nKalimat baru."
    # the cue at a page's foot ("d. mendapat . . .") goes even with the page number under it
    assert ". . ." not in document(UU_25).text[: document(UU_25).pages[20]]


def test_chunks_follow_the_pasal_and_never_cross_one() -> None:
    doc = document(UU_25)
    chunks, reg = chunk_with_structure(doc, words, ChunkParams(max_tokens=256))
    assert reg is not None
    units = {(u.part, u.pasal): u for u in reg.units}
    located = [c for c in chunks if c.location is not None and c.location.part in ("pasal", "penjelasan")]
    assert len(located) > 62
    for c in located:
        unit = units[(c.location.part, c.location.pasal)]
        assert unit.start <= c.start and c.end <= unit.end  # inside its Pasal
        assert not re.search(r"(?m)^Pasal \d+\s*$", c.text)  # no other Pasal's heading inside
    by_pasal = [c for c in chunks if c.location and c.location.part == "pasal" and c.location.pasal == "21"]
    assert len(by_pasal) == 1 and by_pasal[0].heading == (
        "BAB V Penyelenggaraan Pelayanan Publik · Bagian Kesatu Standar Pelayanan · Pasal 21"
    )
    # "Cukup jelas." explains nothing: no chunk for it
    assert not [
        c for c in chunks if c.location and c.location.part == "penjelasan" and c.text.strip() == "Cukup jelas."
    ]
    # a Pasal over the budget is cut at its items, each chunk starting at one
    small, _ = chunk_with_structure(doc, words, ChunkParams(max_tokens=60))
    pieces = [c for c in small if c.location and c.location.part == "pasal" and c.location.pasal == "15"]
    assert len(pieces) > 1
    assert all(re.match(r"[a-z]\. ", c.text) for c in pieces[1:])
    assert pieces[1].location is not None and pieces[1].location.at(0).path[0][0] == "huruf"


def test_a_reference_wrapped_to_the_start_of_a_line_does_not_cut_the_ayat() -> None:
    doc = document(UU_25)
    chunks, _ = chunk_with_structure(doc, words, ChunkParams(max_tokens=256))
    # "... sebagaimana dimaksud pada ayat\n(1) dilarang mengakibatkan terhentinya ..." is one sentence of
    # Pasal 28 ayat (2); the old chunker began a chunk at "(1) dilarang"
    assert not any(c.text.startswith("(1) dilarang") for c in chunks)
    holding = [c for c in chunks if "dilarang mengakibatkan terhentinya" in " ".join(c.text.split())]
    assert len(holding) == 1 and holding[0].location is not None and holding[0].location.pasal == "28"
    c = holding[0]
    sentence = next(c.text[s:e] for s, e in c.sentences if "terhentinya" in c.text[s:e])
    assert " ".join(sentence.split()).startswith("(2) Perbaikan sarana")
    assert c.location.at(c.text.index("terhentinya")).path == (("ayat", "2"),)


# ---- citations and lookups ---------------------------------------------------------------------


def test_citations_read_as_people_cite_the_law_in_both_languages() -> None:
    reg = RegulationInfo("uu_25_2009")
    cite = Citation("d", "UU 25/2009 tentang Pelayanan Publik", page=20, regulation=reg,
                    location=Location("pasal", "21", (("huruf", "c"),)))  # fmt: skip
    assert cite.text("id") == "UU 25/2009 Pasal 21 huruf c, hlm. 20"
    assert cite.text("en") == "Law 25/2009, Article 21(c), p. 20"
    deep = Location("pasal", "5", (("ayat", "2"), ("huruf", "a"), ("angka", "3")))
    assert deep.text("id") == "Pasal 5 ayat (2) huruf a angka 3" and deep.text("en") == "Article 5(2)(a) point 3"
    assert Location("penjelasan", "29").text("id") == "Penjelasan Pasal 29"
    assert Location("penjelasan", "29").text("en") == "Elucidation of Article 29"
    amended = Citation("d", "t", regulation=RegulationInfo("uu_11_2008", amended_by=("uu_19_2016",)))
    assert amended.status("id") == "diubah dengan UU 19/2016" and amended.status("en") == "amended by Law 19/2016"
    gone = RegulationInfo("perpres_16_2010", repealed_by=("perpres_63_2019",))
    assert Citation("d", "t", regulation=gone).status("en") == "repealed by Presidential Regulation 63/2019"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Pasal 21 UU 25/2009", ("uu_25_2009", "21", "", "", False)),
        ("uu 25 tahun 2009 pasal 21 ayat 1", ("uu_25_2009", "21", "1", "", False)),
        ("Article 21 of Law 25/2009", ("uu_25_2009", "21", "", "", False)),
        ("Article 5(2) of Government Regulation 82/2012", ("pp_82_2012", "5", "2", "", False)),
        ("penjelasan pasal 29 UU 25/2009", ("uu_25_2009", "29", "", "", True)),
        ("PP No. 82 Tahun 2012 Pasal 15 ayat (2)", ("pp_82_2012", "15", "2", "", False)),
        ("Pasal 3 Peraturan Presiden Nomor 95 Tahun 2018", ("perpres_95_2018", "3", "", "", False)),
        ("pasal 2 Permen PANRB 31/2014", ("permen_31_2014", "2", "", "", False)),
        ("Pasal 15 huruf c UU 25/2009", ("uu_25_2009", "15", "", "c", False)),
        ("Bunyi pasal 21 UU 25/2009 tentang Pelayanan Publik", ("uu_25_2009", "21", "", "", False)),
        ("Menurut UU 25/2009, apa isi Pasal 27 UU 11/2008?", ("uu_11_2008", "27", "", "", False)),  # the one beside it
    ],
)
def test_citation_lookups_are_read_in_the_forms_people_type(query: str, expected: tuple) -> None:
    found = citation_query(query)
    assert found is not None
    assert (found.reference, found.pasal, found.ayat, found.huruf, found.penjelasan) == expected


def test_definitions_are_looked_up_by_angka() -> None:
    found = citation_query("Article 1 point 5 of Law 11/2008")
    assert found is not None and (found.pasal, found.angka) == ("1", "5")
    assert Location("pasal", "1", (("angka", "5"),)).text("en") == "Article 1 point 5"


def test_a_question_about_an_article_or_naming_none_is_no_lookup() -> None:
    assert citation_query("Apa isi UU 25/2009 tentang pengaduan?") is None
    assert citation_query("Pasal berapa yang mengatur pengaduan?") is None
    # asks what sanction follows from breaking Pasal 27 (that is another Pasal): searched as a question
    assert citation_query("Apa sanksi bagi pelanggar Pasal 27 ayat (3) UU 11/2008?") is None
    for question in (
        "Apakah Pasal 27 UU 11/2008 sudah dicabut?", "Siapa yang berwenang menurut Pasal 5 UU 25/2009?",
        "Was Article 27 of Law 11/2008 amended?", "Who enforces Article 5 of Law 25/2009?",
        "Pasal 27 UU 11/2008, bagaimana tentang kasus penghinaan di media sosial?",
    ):  # fmt: skip
        assert citation_query(question) is None, question


def test_every_ministry_name_egov_qa_shows_can_be_typed_back() -> None:
    for code, (words, indonesian, _) in MINISTRIES.items():
        name = short_name("permen_7_2019", "id", code)
        assert name == f"{indonesian} 7/2019"
        found = citation_query(f"Pasal 2 {name}")
        assert found is not None and found.reference == "permen_7_2019", name
        assert ministry(found.words) == code, name
        assert ministry(f"PERATURAN MENTERI {words.upper()} REPUBLIK INDONESIA") == code


def test_a_ministry_is_read_from_its_name_not_from_words_elsewhere() -> None:
    assert ministry("PERATURAN MENTERI KESEHATAN TENTANG CALON PEGAWAI NEGERI SIPIL DALAM LINGKUNGAN") == "kes"
    assert ministry("PERATURAN MENTERI AGAMA TENTANG PENGELOLAAN KEUANGAN HAJI") == "agama"
    assert ministry("MENTERI KOORDINATOR BIDANG POLITIK, HUKUM, DAN KEAMANAN") == "polhukam"
    assert ministry("MENTERI HUKUM DAN HAK ASASI MANUSIA") == "kumham"


@pytest.fixture(scope="module")
def regulation_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings]:
    """Six real regulations in a JSONL corpus file, indexed with the fake embedder."""
    folder = tmp_path_factory.mktemp("regs")
    corpus = folder / "corpus"
    corpus.mkdir()
    with open(corpus / "regs.jsonl", "w", encoding="utf-8") as fh:
        for doc_id in INDEXED:
            row = raw(doc_id)
            fh.write(json.dumps({"id": doc_id, "pages": row["pages"], "type": row["type"], "year": row["year"]}) + "\n")
    settings = Settings(corpus_dir=corpus, index_dir=folder / "index", model="fake", models_dir=folder / "models")
    build_index(corpus, settings.index_dir, settings=settings)
    return settings.index_dir, settings


@pytest.mark.parametrize(
    ("query", "doc_id", "part", "pasal", "ayat"),
    [
        ("Pasal 21 UU 25/2009", UU_25, "pasal", "21", None),
        ("uu 25 tahun 2009 pasal 44 ayat 3", UU_25, "pasal", "44", "3"),
        ("Article 27 of Law 11/2008", UU_11, "pasal", "27", None),
        ("penjelasan pasal 21 UU 25/2009", UU_25, "penjelasan", "21", None),
        ("PP No. 82 Tahun 2012 Pasal 15 ayat (2)", PP_82, "pasal", "15", "2"),
        ("Elucidation of Article 57 of Law 25/2009", UU_25, "penjelasan", "57", None),
    ],
)
def test_a_citation_lookup_returns_that_unit_first(
    regulation_index: tuple[Path, Settings], query: str, doc_id: str, part: str, pasal: str, ayat: str | None
) -> None:
    index = load_index(regulation_index[0], settings=regulation_index[1])
    for mode in ("hybrid", "dense", "lexical"):
        top = index.search(query, top_k=3, mode=mode)[0]
        assert top.doc_id == f"regs.jsonl#{doc_id}" and top.location is not None
        assert (top.location.part, top.location.pasal) == (part, pasal)
        if ayat:
            assert any(("ayat", ayat) in path for _, path in top.location.marks) or ("ayat", ayat) in top.location.path
    index.close()


def test_a_lookup_of_a_missing_ayat_or_an_unknown_regulation_is_not_claimed(
    regulation_index: tuple[Path, Settings],
) -> None:
    index = load_index(regulation_index[0], settings=regulation_index[1])
    answer = index.ask("Pasal 44 ayat 9 UU 25/2009")  # UU 25/2009 Pasal 44 has five ayat
    assert answer.hits[0].location is not None and answer.hits[0].location.pasal == "44"  # the Pasal, first
    assert answer.confidence < 1.0  # but not answered as if ayat (9) had been found
    other = index.ask("Pasal 2 Permen ESDM 1/2020")  # no such regulation indexed
    assert other.confidence < 1.0
    index.close()


def test_hits_and_evidence_carry_their_citation_and_the_amendment(regulation_index: tuple[Path, Settings]) -> None:
    index = load_index(regulation_index[0], settings=regulation_index[1])
    hit = index.search("Article 27 of Law 11/2008", top_k=1)[0]
    assert hit.title == "UU 11/2008 tentang Informasi dan Transaksi Elektronik"
    assert hit.citation.text("id").startswith("UU 11/2008 Pasal 27, hlm. ")
    assert hit.citation.status("id") == "diubah dengan UU 19/2016"
    assert hit.citation.status("en") == "amended by Law 19/2016"
    answer = index.ask("uu 25 tahun 2009 pasal 44 ayat 3")  # a lookup: the ayat named is the answer
    assert answer.answered and answer.confidence == 1.0 and answer.level == "high"
    top = answer.evidence[0]
    assert " ".join(top.text.split()).startswith("(3) Penyelenggara dan/atau ombudsman wajib menanggapi")
    assert top.citation.text("id").startswith("UU 25/2009 Pasal 44 ayat (3), hlm. ")
    assert top.citation.text("en").startswith("Law 25/2009, Article 44(3), p. ")
    assert all(e.citation.location is not None and ("ayat", "3") in e.citation.location.path for e in answer.evidence)
    asked = index.ask("Berapa lama penyelenggara wajib menanggapi pengaduan?", threshold=0.0)
    assert all(e.citation.location is not None for e in asked.evidence if "UU-2009-025" in e.doc_id)
    article = index.article(f"regs.jsonl#{UU_25}", "21")
    assert article is not None and article.text.startswith("Komponen standar pelayanan sekurang-kurangnya")
    assert article.explanation is not None and article.explanation.startswith("Huruf a")
    assert (article.previous, article.following) == ("20", "22")
    assert article.citation.text("id").startswith("UU 25/2009 Pasal 21, hlm. ")
    assert index.article(f"regs.jsonl#{UU_25}", "99") is None
    index.close()


def test_the_repealed_filter_hides_what_an_indexed_regulation_repeals(regulation_index: tuple[Path, Settings]) -> None:
    index = load_index(regulation_index[0], settings=regulation_index[1])
    question = "penggunaan bahasa Indonesia dalam pidato resmi presiden"
    shown = {h.doc_id for h in index.search(question, top_k=20)}
    assert f"regs.jsonl#{PERPRES_16}" in shown
    old = [h for h in index.search(question, top_k=20) if h.doc_id.endswith(PERPRES_16)][0]
    assert old.citation.status("id") == "dicabut dengan Perpres 63/2019"
    kept = {h.doc_id for h in index.search(question, top_k=20, filters=Filters(hide_repealed=True))}
    assert f"regs.jsonl#{PERPRES_16}" not in kept and f"regs.jsonl#{PERPRES_63}" in kept
    assert index.facets().repealed == 1
    index.close()


def test_the_json_output_gives_the_location_and_the_status(regulation_index: tuple[Path, Settings]) -> None:
    index_dir, settings = regulation_index
    out = CliRunner().invoke(
        cli, ["search", "Article 27 of Law 11/2008", "--index", str(index_dir), "--json", "--top-k", "1"],
        env={"EGOV_QA_MODEL": "fake", "EGOV_QA_MODELS_DIR": str(settings.models_dir)},
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    record = json.loads(out.output.splitlines()[0])
    cite = record["citation"]
    assert cite["location"]["part"] == "pasal" and cite["location"]["pasal"] == "27"
    assert cite["regulation"]["name"] == "Law 11/2008" and cite["status"] == "amended by Law 19/2016"
    text = CliRunner().invoke(
        cli, ["search", "Pasal 27 UU 11/2008", "--index", str(index_dir), "--top-k", "1"],
        env={"EGOV_QA_MODEL": "fake", "EGOV_QA_MODELS_DIR": str(settings.models_dir)},
    )  # fmt: skip
    assert "UU 11/2008 Pasal 27, hlm." in text.output and "(diubah dengan UU 19/2016)" in text.output


def test_an_index_from_before_regulations_were_parsed_still_answers(tmp_path: Path, fake_settings: Settings) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    row = raw(UU_25)
    (corpus / "regs.jsonl").write_text(json.dumps({"id": UU_25, "pages": row["pages"]}) + "\n", encoding="utf-8")
    build_index(corpus, fake_settings.index_dir, settings=fake_settings)
    manifest = json.loads((fake_settings.index_dir / "manifest.json").read_text())
    db = sqlite3.connect(fake_settings.index_dir / manifest["files"]["store"])
    db.execute("ALTER TABLE chunks DROP COLUMN details")
    db.execute("DROP TABLE regulations")
    db.commit()
    db.close()
    index = load_index(fake_settings.index_dir, settings=fake_settings)
    hit = index.search("Pasal 21 UU 25/2009", top_k=1)[0]
    assert hit.location is None and hit.regulation is None
    assert hit.citation.text("id").startswith("UU 25/2009 tentang Pelayanan Publik, hlm.")
    index.close()


def test_a_regulation_as_plain_text_is_read_as_one(tmp_path: Path, fake_settings: Settings) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "uu-25-2009.txt").write_text(document(UU_25).text, encoding="utf-8")
    build_index(corpus, fake_settings.index_dir, settings=fake_settings)
    index = load_index(fake_settings.index_dir, settings=fake_settings)
    assert index.document_titles() == {"uu-25-2009.txt": "UU 25/2009 tentang Pelayanan Publik"}
    hit = index.search("Pasal 18 UU 25/2009", top_k=1)[0]
    assert hit.location is not None and hit.location.pasal == "18"
    assert hit.citation.text("en") == "Law 25/2009, Article 18"  # plain text has no pages
    index.close()


def test_a_regulation_pdf_is_read_by_its_structure_too() -> None:
    from egov_qa.corpus import CorpusRead, read_file

    pdf = shared("regulations_id", "pdf_core_egov", "UU-2009-025-PELAYANAN-PUBLIK.pdf")
    read = CorpusRead()
    read_file(pdf, pdf.parent, read)
    (doc,) = read.documents
    assert doc.title == "UU 25/2009 tentang Pelayanan Publik"  # the PDF's own title is "UU 25 Tahun 2009"
    chunks, reg = chunk_with_structure(doc, words, ChunkParams(max_tokens=256))
    assert reg is not None and [u.pasal for u in reg.articles] == [str(n) for n in range(1, 63)]
    pasal_21 = [c for c in chunks if c.location and c.location.part == "pasal" and c.location.pasal == "21"]
    assert pasal_21 and pasal_21[0].page == 20


def test_the_penjelasan_of_an_annexed_regulation_is_not_this_ones() -> None:
    reg = parse_regulation(document("UU-2015-001-PERPU-1-2014-TENTANG-PILKADA").text)  # sets Perppu 1/2014 into law
    assert reg is not None and [u.pasal for u in reg.articles] == ["1", "2"]
    assert [u.pasal for u in reg.units if u.part == "penjelasan"] == ["1", "2"]
    assert reg.units[-1].part == "lampiran"  # the Perppu and its own Penjelasan
