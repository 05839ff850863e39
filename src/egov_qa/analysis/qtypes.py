"""Question types and what a sentence holds: the cues the answer scorer and the short answer read.

A question's type comes from its question word (Kapan / when, Berapa / how many, Siapa / who,
Di mana / where, Apa itu / what is, Mengapa / why, Bagaimana / how); a sentence is checked for
what that type asks for (a date, a number, a name, a place, a definition, a reason, steps).
Plain regular expressions over the text: no model, no dictionary beyond the cue words below.
"""

from __future__ import annotations

import re
from typing import Literal

QType = Literal["when", "number", "who", "where", "definition", "why", "how", "other"]
QTYPES: tuple[QType, ...] = ("when", "number", "who", "where", "definition", "why", "how", "other")

_MONTHS = (
    "januari|februari|pebruari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember|"
    "january|february|march|may|june|july|august|october|december|"
    "jan|feb|mar|apr|jun|jul|agu|agt|aug|sep|sept|okt|oct|nov|des|dec"
)
_UNIT_WORDS = "ribu|juta|miliar|milyar|triliun|thousand|million|billion|trillion"
_NUMBER_WORDS = (
    "satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|seratus|seribu|sejuta|puluh|belas|ratus|"
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|dozen|" + _UNIT_WORDS
)

# Whole-word patterns of what a sentence may hold; each finds the spans a short answer may take.
DATE = re.compile(
    rf"\b(?:(?:tanggal\s+)?\d{{1,2}}\s+(?:{_MONTHS})\.?\s+\d{{3,4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{3,4}}"
    rf"|\d{{1,2}}\s+(?:{_MONTHS})\b"
    r"|(?:abad|century)\s+(?:ke-?\s*)?[0-9IVXLC]+(?:\s+(?:SM|M|Masehi|BC|AD))?"
    r"|(?:tahun|year|sejak|since|pada|in)\s+\d{3,4}(?:\s*(?:-|–|hingga|sampai|to)\s*\d{2,4})?"
    r"|\d{3,4}\s*(?:-|–)\s*\d{2,4}"
    r"|(?:1[0-9]|20)\d{2}(?:\s+(?:SM|M|Masehi|BC|AD))?"
    r"|pukul\s+\d{1,2}[.:]\d{2}"
    r"|(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r")\b",
    re.IGNORECASE,
)
NUMBER = re.compile(
    rf"(?:Rp\.?\s?|US\$\s?|\$\s?)?\b\d[\d.,]*(?:\s*(?:%|persen|percent))?(?:\s+(?:{_UNIT_WORDS}))?"
    rf"(?:\s+(?!(?:dan|and|di|in|pada|yang|dari|of|the)\b)[^\W\d_]+)?"
    rf"|\b(?:{_NUMBER_WORDS})\b(?:\s+(?:{_UNIT_WORDS}))?(?:\s+[^\W\d_]+)?",
    re.IGNORECASE,
)
# a run of capitalised words (names of people, organisations, places), with lower-case joiners inside
NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:(?:bin|binti|van|von|de|der|dan|of|the|al|el|di)\s+)?[A-Z][\w'’.-]*)*")
DEFINITION = re.compile(
    r"\b(?:adalah|merupakan|ialah|yaitu|yakni|disebut|dikenal sebagai|artinya|berarti|singkatan dari|"
    r"kepanjangan dari|kependekan dari|is an?|are|refers to|means|stands for)\b",
    re.IGNORECASE,
)
REASON = re.compile(
    r"\b(?:karena|sebab|disebabkan|akibat|agar|supaya|sehingga|bertujuan|tujuannya|untuk|oleh karena itu|"
    r"berfungsi|fungsinya|berguna|bermanfaat|"
    r"because|due to|so that|in order to|caused|used (?:to|for)|serves? as)\b",
    re.IGNORECASE,
)
STEPS = re.compile(
    r"\b(?:dengan cara|caranya|cara|melalui|lewat|secara|daring|online|langkah|tahap|tahapan|prosedur|"
    r"mengajukan|mendaftar|dengan|by|through|via|steps?|first|pertama|kemudian|lalu|then)\b",
    re.IGNORECASE,
)
PLACE_CUE = re.compile(
    r"\b(?:(?:di|ke|dari|in|at|near|dekat)\s+(?=(?:Kota|Kabupaten|Provinsi|Pulau|Desa|Kecamatan|Jalan|Jl\.|[A-Z]))"
    # a channel counts as a place ("di mana mengadu?": "melalui SP4N-LAPOR!"), a regulation does not
    r"|(?:melalui|lewat|via)\s+(?!(?:Peraturan|Keputusan|Undang|Pasal|Instruksi|Surat)\b)(?=[A-Z]))",
)

_QUESTION_TYPES: tuple[tuple[QType, re.Pattern[str]], ...] = (
    ("when", re.compile(
        r"\b(?:kapan|kapankah|bilamana|when|what year|which year|what date|"
        r"(?:tahun|tanggal|bulan|abad|pukul|jam|hari) (?:berapa|apa)|(?:pada )?tahun berapa|sejak kapan)\b",
        re.IGNORECASE)),
    ("number", re.compile(r"\b(?:berapa|berapakah|brp|how many|how much|how long|how old|how far|jumlah)\b", re.I)),
    ("who", re.compile(r"\b(?:siapa|siapakah|who|whom|whose)\b", re.IGNORECASE)),
    ("where", re.compile(r"\b(?:di ?mana(?:kah)?|ke ?mana(?:kah)?|dari ?mana(?:kah)?|where|letak)\b", re.I)),
    ("definition", re.compile(
        r"\b(?:(?:apa itu|apakah itu|apa (?:yang )?dimaksud|apakah (?:yang )?dimaksud|apa (?:arti|pengertian|"
        r"kepanjangan|singkatan|kependekan)|apakah (?:arti|pengertian|kepanjangan|singkatan)|pengertian|definisi|"
        r"what does [^?]{1,80}? (?:mean|stand for)|define|meaning of)\b|"
        r"what (?:is|are) (?:an? |the )?(?!(?:purpose|use|function|role)\b)[\w-]+(?: [\w-]+){0,2}\s*(?:\?|$))",
        re.IGNORECASE)),
    # a question about what something is for is answered by a purpose, as a why question is
    ("why", re.compile(
        r"\b(?:mengapa|kenapa|apa sebab|apa alasan|apa tujuan|apa(?:kah)? (?:fungsi|kegunaan|guna|manfaat)(?:nya)?|"
        r"why|what for|what (?:is|are) the (?:purpose|use|function|role)|"
        r"what does [^?]{1,80}? do)\b",
        re.IGNORECASE)),
    ("how", re.compile(r"\b(?:bagaimana|bagaimanakah|gimana|cara|how)\b", re.IGNORECASE)),
)  # fmt: skip


_MAX_QUESTION = 300  # a question's type is in its first words; a pasted page is not searched whole


def question_type(question: str) -> QType:
    """Return what a question asks for: the first type, in the order above, whose question words it has.

    ``other`` if none (a keyword query, "Apa saja…").
    """
    head = question[:_MAX_QUESTION]
    for qtype, pattern in _QUESTION_TYPES:
        if pattern.search(head):
            return qtype
    return "other"


def names(sentence: str) -> list[tuple[int, int]]:
    """Return the spans of runs of capitalised words, leaving out a lone capital starting the sentence."""
    out = []
    for m in NAME.finditer(sentence):
        start, text = m.start(), m.group().rstrip(".")
        if start == len(sentence) - len(sentence.lstrip()) and " " not in text and not text.isupper():
            continue  # a capital that only starts the sentence
        out.append((start, start + len(text)))
    return out
