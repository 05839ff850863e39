"""Relations between regulations: which one amends or repeals which, told apart by issuer where numbers repeat.

A regulation amends the one its title names ("Perubahan atas Undang-Undang Nomor 11 Tahun
2008") and repeals those its closing Pasal says are "dicabut dan dinyatakan tidak berlaku",
whole or, for "ketentuan mengenai ...", in part. Each ministry numbers its own Permen, so a
Permen is matched by the issuer's words as well as its number and year.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from egov_qa.analysis import Reference, references
from egov_qa.regulation.identity import fix_numbers, kind_before

if TYPE_CHECKING:
    from egov_qa.regulation.structure import Regulation

Relation = tuple[str, str]  # (token, the words that name it), e.g. ("uu_11_2008", "Undang-Undang Nomor 11 Tahun 2008")
# the kinds whose number and year repeat across issuers (each ministry numbers its own Permen)
ISSUED_BY_MANY = frozenset({"permen", "kepmen", "perban", "perda", "pergub", "perbup", "perwal", "se"})


def read_relations(text: str, reg: Regulation) -> None:
    """Read which regulations this one amends (its title) and repeals, wholly or in part (its closing Pasal).

    It amends the regulation named right after "Perubahan ... atas" in its title. A repeal of
    "ketentuan mengenai ... dalam", a Pasal or a Bab of another regulation, or one "sepanjang
    ..." (in so far as) in the repealed item itself, is a partial one. Each relation keeps the
    words that name the other regulation, so a Permen is told from another ministry's.
    """
    identity = reg.identity
    own = identity.token if identity else ""
    if identity:
        after = re.match(r"(?i)perubahan\b.{0,40}?\batas\s+", identity.title)
        found = [_named(identity.title, r) for r in references(identity.title) if after and r.start == after.end()]
        reg.amends = tuple(f for f in found if f[0] != own)[:1]
    repealed: list[Relation] = []
    partly: list[Relation] = []
    for unit in reg.units:
        if unit.part not in ("pasal", "diktum"):
            continue
        body = fix_numbers(" ".join(text[unit.body_start(text) : unit.end].split()))
        for sentence in re.split(r"(?<=[^\s.]{2}\.)\s+(?=[A-Z])", body):
            if not (re.search(r"\bdicabut\b", sentence) and re.search(r"dinyatakan\s+tidak\s+berlaku", sentence)):
                continue
            refs = [r for r in references(sentence) if _named(sentence, r)[0] != own]
            if not refs:
                continue
            whole = not re.search(r"\b(?:ketentuan|Pasal\s+\d|Bab\s+[IVXL])", sentence[: refs[0].start])
            for r in refs:
                item = sentence[r.start :].split(";", 1)[0]  # its own list item: "a. UU X ... sepanjang ...;"
                (repealed if whole and not re.search(r"\bsepanjang\b", item) else partly).append(_named(sentence, r))
    reg.repeals = tuple(dict.fromkeys(repealed))
    reg.partly_repeals = tuple(r for r in dict.fromkeys(partly) if r not in reg.repeals)


_TYPE_WORD = re.compile(
    r"\b(?:peraturan|keputusan|instruksi|undang-\s?undang|surat\s+edaran|permen[a-z]*|kepmen[a-z]*|perpres|pp|uu)\b",
    re.IGNORECASE,
)


def _named(text: str, ref: Reference) -> Relation:
    """Return a reference's token and words, cut to the clause that names it.

    The reference pattern lets words stand between a type and "Nomor", so in "Peraturan
    Pemerintah ini mulai berlaku, Keputusan Presiden Nomor 14 Tahun 1993" it spans both
    types: the clause from the last type word before "Nomor" names the regulation, and that
    type is its kind.
    """
    words = text[ref.start : ref.end]
    head = re.split(r"(?i)\bnomor\b", words)[0]
    # "Peraturan Pemerintah Pengganti Undang-Undang" is one type, not two
    starts = [m.start() for m in _TYPE_WORD.finditer(head) if not re.search(r"(?i)pengganti\s+$", head[: m.start()])]
    if len(starts) > 1:
        words = words[starts[-1] :]
    kind = kind_before(re.split(r"(?i)\bnomor\b", words)[0]) if re.search(r"(?i)\bnomor\b", words) else None
    return f"{kind or ref.kind}_{ref.number}_{ref.year}", words


# who issues a Permen, by the abbreviations people write ("Permendagri", "Permen PANRB"): the words of
# the ministry's name, its short name in Indonesian and its name in English
MINISTRIES: dict[str, tuple[str, str, str]] = {
    "dagri": ("dalam negeri", "Permendagri", "Home Affairs"),
    "panrb": ("pendayagunaan aparatur negara reformasi birokrasi", "Permen PANRB", "Administrative Reform"),
    "kukm": ("koperasi usaha kecil menengah", "Permenkop UKM", "Cooperatives and SMEs"),
    "kominfo": ("komunikasi informatika", "Permenkominfo", "Communication and Informatics"),
    "kes": ("kesehatan", "Permenkes", "Health"),
    "kumham": ("hukum hak asasi manusia", "Permenkumham", "Law and Human Rights"),
    "sesneg": ("sekretaris negara", "Permensesneg", "State Secretariat"),
    "keu": ("keuangan", "PMK", "Finance"),
    "dikbud": ("pendidikan kebudayaan", "Permendikbud", "Education and Culture"),
    "ristekdikti": ("riset teknologi pendidikan tinggi", "Permenristekdikti", "Research and Higher Education"),
    "polhukam": ("koordinator politik hukum keamanan", "Permenko Polhukam", "Coordinating Political Affairs"),
    "perekonomian": ("koordinator perekonomian", "Permenko Perekonomian", "Coordinating Economic Affairs"),
    "lhk": ("lingkungan hidup kehutanan", "Permen LHK", "Environment and Forestry"),
    "kp": ("kelautan perikanan", "Permen KP", "Marine Affairs and Fisheries"),
    "dag": ("perdagangan", "Permendag", "Trade"),
    "esdm": ("energi sumber daya mineral", "Permen ESDM", "Energy and Mineral Resources"),
    "agama": ("agama", "PMA", "Religious Affairs"),
}
# other ways people write them
_ALIASES = {
    "kopukm": "kukm",
    "kop": "kukm",
    "ekon": "perekonomian",
    "pmk": "keu",
    "pma": "agama",
    "kemendagri": "dagri",
}
_NOT_ISSUER = frozenset(
    "peraturan keputusan instruksi surat edaran bersama menteri nomor no tahun republik indonesia dan negara "
    "bidang permen kepmen permenko kepmenko ministerial minister regulation regulations decree law government "
    "presidential instruction regional governor regent mayor agency circular of the number year "
    "uu pp perpres perppu perpu keppres kepres inpres perda pergub perbup perwal se undang".split()
)
_TYPE_PREFIXES = ("permenko", "kepmenko", "permen", "kepmen")


def _ministry_code(word: str) -> str:
    """Return the ministry a written word abbreviates ("permendagri", "PANRB", "PMK"), or ""."""
    word = _ALIASES.get(word, word)
    if word in MINISTRIES:
        return word
    for prefix in _TYPE_PREFIXES:
        rest = word.removeprefix(prefix)
        if rest != word and _ALIASES.get(rest, rest) in MINISTRIES:
            return _ALIASES.get(rest, rest)
    return ""


def _phrase(code: str) -> re.Pattern[str]:
    """Return the pattern of a ministry's name after "Menteri": its words in order, "dan" or "bidang" between."""
    words = MINISTRIES[code][0].split()
    between = r"(?:\W+(?:dan|bidang)\b)?\W+"
    return re.compile(r"\bmenteri\s+(?:negara\s+)?" + between.join(words) + r"\b")


_PHRASES = {code: _phrase(code) for code in MINISTRIES}


def ministry(text: str) -> str:
    """Return the code of the ministry a text names ("Peraturan Menteri Dalam Negeri ...", "Permendagri"), or ""."""
    lower = text.lower()
    found = [(m.start(), -len(MINISTRIES[code][0]), code) for code, p in _PHRASES.items() if (m := p.search(lower))]
    if found:
        return min(found)[2]  # the ministry named first (the issuer stands before any other)
    for word in re.findall(r"[a-z]+", lower.split("nomor")[0]):
        code = _ministry_code(word)
        if code:
            return code
    return ""


def issuer_words(reference: str) -> set[str]:
    """Return the words naming who issued a referenced regulation: what tells one ministry's Permen from another's.

    "Peraturan Menteri Dalam Negeri Nomor 7 Tahun 2019" and "Permendagri 7/2019" give
    {"dalam", "negeri"}; "Permen PANRB 31/2014" the words of the ministry PANRB abbreviates.
    """
    words: set[str] = set()
    for word in re.findall(r"[a-z]+", re.split(r"nomor|\d", reference.lower())[0]):
        code = _ministry_code(word)
        if code:
            words.update(MINISTRIES[code][0].split())
        elif word not in _NOT_ISSUER and len(word) > 1:
            words.add(word)
    return words - _NOT_ISSUER


def names(reference: str, token: str, opening: str, *, strict: bool = True) -> bool:
    """Tell whether a reference (its words and token) names the regulation whose text opens with ``opening``.

    Laws and the President's regulations are told apart by their token; a ministry's by the
    ministry (known ones by name, others by all the issuer's words standing in the opening).
    A reference that names no issuer ("Permen 1/2020") names none when ``strict``, any otherwise
    (a reader's lookup: the caller then asks that only one regulation fit).
    """
    if token.split("_", 1)[0] not in ISSUED_BY_MANY:
        return True
    code = ministry(reference)
    if code:
        return ministry(opening) == code
    words = issuer_words(reference)
    head = set(re.findall(r"[a-z]+", opening.lower()))
    return words <= head if words or not strict else False


def resolve(rows: Mapping[str, Mapping[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """Return {(doc_id, "amends" | "repeals" | "partly_repeals"): the references of the regulations doing so}.

    ``rows`` are the stored regulations by doc_id (``reference``, ``opening`` and the relations).
    """
    by_token: dict[str, list[str]] = {}
    for doc_id, row in rows.items():
        by_token.setdefault(row["reference"], []).append(doc_id)
    related: dict[tuple[str, str], set[str]] = {}
    for row in rows.values():
        for key in ("amends", "repeals", "partly_repeals"):
            for token, words in row[key]:
                for target in by_token.get(token, ()):
                    if names(words, token, rows[target]["opening"]):
                        related.setdefault((target, key), set()).add(row["reference"])
    return related
