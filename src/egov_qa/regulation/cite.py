"""Citations of regulations in Indonesian and English, and the citation lookups people type.

"UU 25/2009 Pasal 21 huruf c, hlm. 20" reads in English "Law 25/2009, Article 21(c), p. 20".
A lookup such as "Pasal 21 UU 25/2009", "uu 25 tahun 2009 pasal 21 ayat 1", "Article 5(2) of
Government Regulation 82/2012" or "penjelasan pasal 29 UU 25/2009" names one unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from egov_qa.analysis import STOPWORDS, WORD, references
from egov_qa.regulation.relations import MINISTRIES

Path = tuple[tuple[str, str], ...]  # ((kind, label), ...) e.g. (("ayat", "1"), ("huruf", "c"))

# kind -> (Indonesian short name, English name)
TYPE_NAMES: dict[str, tuple[str, str]] = {
    "uu": ("UU", "Law"),
    "perppu": ("Perppu", "Government Regulation in Lieu of Law"),
    "pp": ("PP", "Government Regulation"),
    "perpres": ("Perpres", "Presidential Regulation"),
    "keppres": ("Keppres", "Presidential Decree"),
    "inpres": ("Inpres", "Presidential Instruction"),
    "permen": ("Permen", "Ministerial Regulation"),
    "kepmen": ("Kepmen", "Ministerial Decree"),
    "perda": ("Perda", "Regional Regulation"),
    "pergub": ("Pergub", "Governor Regulation"),
    "perbup": ("Perbup", "Regent Regulation"),
    "perwal": ("Perwal", "Mayor Regulation"),
    "perban": ("Peraturan Lembaga", "Agency Regulation"),
    "se": ("SE", "Circular"),
}
PART_NAMES: dict[str, tuple[str, str]] = {
    "menimbang": ("Menimbang", "Considering"),
    "mengingat": ("Mengingat", "Observing"),
    "penjelasan_umum": ("Penjelasan Umum", "General Elucidation"),
    "lampiran": ("Lampiran", "Annex"),
    "pembukaan": ("Pembukaan", "Preamble"),
    "penutup": ("Penutup", "Closing"),
}


def short_name(token: str, language: str, issuer: str = "") -> str:
    """Return a regulation's short name from its token: ``uu_25_2009`` -> "UU 25/2009" / "Law 25/2009".

    A Permen's ministry (``issuer``, a code of :data:`MINISTRIES`) names it: "Permendagri 7/2019" /
    "Ministerial Regulation (Home Affairs) 7/2019".
    """
    kind, _, rest = token.partition("_")
    number, _, year = rest.partition("_")
    names = TYPE_NAMES.get(kind, (kind.upper(), kind.upper()))
    if kind == "permen" and issuer in MINISTRIES:
        _, indonesian, english = MINISTRIES[issuer]
        names = (indonesian, f"{names[1]} ({english})")
    return f"{names[0 if language == 'id' else 1]} {number}/{year}"


def _path_id(path: Path) -> str:
    """Return items as Indonesian cites them: "ayat (2) huruf a angka 3"."""
    return " ".join(f"ayat ({label})" if kind == "ayat" else f"{kind} {label}" for kind, label in path)


def _path_en(path: Path) -> str:
    """Return items as English cites them: "(2)(a) point 3"."""
    return "".join(f" point {label}" if kind == "angka" else f"({label})" for kind, label in path)


def location_text(part: str, pasal: str, path: Path, language: str) -> str:
    """Return a unit's place: "Pasal 22 ayat (1) huruf a" / "Article 22(1)(a)"; "Penjelasan Pasal 29"."""
    if part in ("pasal", "penjelasan"):
        if language == "id":
            text = f"Pasal {pasal} {_path_id(path)}".strip()
            return f"Penjelasan {text}" if part == "penjelasan" else text
        text = f"Article {pasal}{_path_en(path)}"
        return f"Elucidation of {text}" if part == "penjelasan" else text
    if part == "diktum":
        return f"Diktum {pasal}" if language == "id" else f"Dictum {pasal}"
    if part in PART_NAMES:
        name = PART_NAMES[part][0 if language == "id" else 1]
        if path:
            return f"{name} {_path_id(path)}" if language == "id" else f"{name} {_path_en(path)}"
        return name
    return ""


def status_text(
    amended_by: tuple[str, ...], repealed_by: tuple[str, ...], partly_repealed_by: tuple[str, ...], language: str
) -> str:
    """Say that a regulation was amended or repealed, and by which: "diubah dengan UU 19/2016"."""
    phrases = {
        "id": ("dicabut dengan", "sebagian dicabut dengan", "diubah dengan"),
        "en": ("repealed by", "partly repealed by", "amended by"),
    }["id" if language == "id" else "en"]
    parts = [
        f"{phrase} {', '.join(short_name(t, language) for t in tokens)}"
        for phrase, tokens in zip(phrases, (repealed_by, partly_repealed_by, amended_by), strict=True)
        if tokens
    ]
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class CitationQuery:
    """A unit a query names: the regulation's token, the Pasal, its ayat and huruf, Penjelasan or not.

    ``words`` are the query's words for the regulation ("Permen PANRB 31/2014"): they tell one
    ministry's Permen from another's of the same number and year.
    """

    reference: str
    pasal: str
    ayat: str = ""
    huruf: str = ""
    angka: str = ""
    penjelasan: bool = False
    words: str = ""

    @property
    def items(self) -> Path:
        """The ayat, huruf and angka named, outermost first: (("ayat", "2"), ("huruf", "a"))."""
        return tuple((k, v) for k, v in (("ayat", self.ayat), ("huruf", self.huruf), ("angka", self.angka)) if v)


_ARTICLE_QUERY = re.compile(
    r"\b(?:pasal|article|art\.)\s*(?P<pasal>\d{1,3}[a-z]?)\b"
    r"(?:\s*(?:ayat|paragraph|para\.?)\s*\(?(?P<ayat>\d{1,2}[a-z]?)\)?|\s*\((?P<ayat2>\d{1,2}[a-z]?)\))?"
    r"(?:\s*(?:huruf|letter)\s*(?P<huruf>[a-z])\b|\s*\((?P<huruf2>[a-z])\))?"
    r"(?:\s*(?:angka|point|number|no\.?)\s*(?P<angka>\d{1,3})\b)?",
    re.IGNORECASE,
)
_EXPLANATION = re.compile(r"\b(?:penjelasan|elucidation|explanation)\b", re.IGNORECASE)
# words that frame a lookup ("apa isi ...", "what does ... say"): beyond them, a query that says
# more than this many words asks a question about the unit, not for the unit
_FRAMING = frozenset(
    "apa isi bunyi yang dari menurut tentang lihat tampilkan sebutkan undang what does say says read reads text show "
    "of the in and dan di ke pada dalam atas nomor no tahun number year".split()
)
_MAX_OTHER_WORDS = 1
# a question about the unit ("Apakah Pasal 27 UU 11/2008 sudah dicabut?", "Who enforces Article 5 ...?"), not for it
_QUESTION_WORDS = frozenset(
    "apakah siapa siapakah kapan kapankah mengapa kenapa bagaimana bagaimanakah berapa berapakah dimana mana "
    "who whom when why how which is was were are can may must should did do has have will".split()
)


def citation_query(text: str) -> CitationQuery | None:
    """Return the unit a query names by citation ("Pasal 21 UU 25/2009"), or None when it names none.

    The query must name both a Pasal (Article) and the regulation, and say little else: "Apa
    sanksi bagi pelanggar Pasal 27 UU 11/2008?" asks about the Pasal, and is searched as a
    question. "penjelasan" / "elucidation" asks for the Pasal's Penjelasan. Of several
    regulations named, the one written next to the Pasal is meant.
    """
    refs = references(text)
    article = _ARTICLE_QUERY.search(text)
    if not refs or article is None:
        return None
    ref = min(refs, key=lambda r: max(r.start - article.end(), article.start() - r.end, 0))
    rest = list(text)
    for start, end in [(article.start(), article.end()), *((r.start, r.end) for r in refs)]:
        rest[start:end] = " " * (end - start)  # the citation and the names of regulations are not a question
    said = "".join(rest)
    title = re.match(r"\s*tentang\b[^?,;]*", said[ref.end :], re.IGNORECASE)  # "UU 25/2009 tentang <its title>"
    if title:
        said = said[: ref.end] + " " * title.end() + said[ref.end + title.end() :]
    words = [w.lower() for w in WORD.findall(_EXPLANATION.sub(" ", said))]
    other = [w for w in words if w not in STOPWORDS | _FRAMING]
    if _QUESTION_WORDS.intersection(words) or len(other) > _MAX_OTHER_WORDS:
        return None
    pasal = article.group("pasal")
    return CitationQuery(
        reference=ref.token,
        pasal=pasal.upper() if pasal[-1:].isalpha() else pasal,
        ayat=(article.group("ayat") or article.group("ayat2") or "").lower(),
        huruf=(article.group("huruf") or article.group("huruf2") or "").lower(),
        angka=article.group("angka") or "",
        penjelasan=bool(_EXPLANATION.search(text)),
        words=text[ref.start : ref.end],
    )
