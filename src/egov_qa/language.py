"""Query language detection: Indonesian or English, deterministic, sensible for short queries."""

from __future__ import annotations

import re
import threading
from typing import Any

from egov_qa.analysis import tokens

INDONESIAN = "id"
ENGLISH = "en"
_PRIORS = {"id": 1.0, "ms": 1.0, "en": 1.0}
_SEED = 0
_SHORT_WORDS = 6

_ID_CUES = frozenset(
    """
    apa apakah bagaimana mengapa kenapa siapa kapan dimana di mana berapa yang dan atau dengan untuk
    dari ke pada dalam ini itu adalah tidak bisa dapat cara syarat layanan pelayanan publik
    pemerintah daerah desa kependudukan perizinan berusaha izin pengaduan hambatan tantangan
    kebijakan peraturan undang-undang tentang membuat mengurus pendaftaran kesenjangan digital
    """.split()
)
_EN_CUES = frozenset(
    """
    what which how why who when where is are does do the of and or to for in on with about
    can should obstacles challenges policy law regulation government public service services
    licence license licensing permit complaint complaints digital divide data open identity card
    """.split()
)
_OTHER_CUES = {
    "fr": frozenset("le la les des est sont une pour avec dans qui que du au quels quelle comment".split()),
    "es": frozenset("el los las es son una para con del por qué cuáles cómo principales".split()),
    "de": frozenset("der die das und ist ich nicht ein eine wie mit für einen beantrage".split()),
    "nl": frozenset("het een niet van zijn wat hoe voor met".split()),
    "pt": frozenset("os não uma com são quais como para".split()),
    "jv": frozenset("kepiye piye carane ing lan karo sing ora opo napa kados pundi".split()),
    "su": frozenset("kumaha naon teu jeung abdi anjeun".split()),
}
# An Indonesian question word first: the question is Indonesian, however many English names follow
# ("Dimana letak Universitas Cape Town?", "Kapan The Best Damn Thing dirilis?").
_ID_OPENERS = frozenset(
    """
    apa apakah apa-apa bagaimana bagaimanakah mengapa kenapa siapa siapakah kapan kapankah dimana
    dimanakah darimana darimanakah kemana berapa berapakah berapakah sebutkan jelaskan bolehkah
    bisakah haruskah adakah
    """.split()
)
_lock = threading.Lock()
_factory: Any = None


def _detector(text: str, priors: dict[str, float] | None = _PRIORS) -> Any:
    global _factory
    from langdetect import DetectorFactory
    from langdetect.detector_factory import PROFILES_DIRECTORY

    with _lock:
        if _factory is None:
            factory = DetectorFactory()
            factory.load_profile(PROFILES_DIRECTORY)
            factory.set_seed(_SEED)
            _factory = factory
        detector = _factory.create()
    if priors:
        detector.set_prior_map(priors)
    detector.append(text)
    return detector


def _cue_vote(words: list[str], margin: int = 1) -> str | None:
    id_hits = sum(w in _ID_CUES for w in words)
    en_hits = sum(w in _EN_CUES for w in words)
    if id_hits - en_hits >= margin:
        return INDONESIAN
    if en_hits - id_hits >= margin:
        return ENGLISH
    return None


def _other_language(text: str, words: list[str]) -> str | None:
    """Return the code of a clearly different language (a French or Javanese question), else None.

    Non-Latin scripts go by unrestricted langdetect; Latin-script text needs two or more common
    words of that language, and more of them than Indonesian or English cue words.
    """
    from langdetect.lang_detect_exception import LangDetectException

    letters = [c for c in text if c.isalpha()]
    if letters and sum(c < "\u0250" for c in letters) < len(letters) / 2:
        try:
            ranked = _detector(text, priors=None).get_probabilities()
        except LangDetectException:
            return None
        return str(ranked[0].lang) if ranked else None
    own = max(sum(w in _ID_CUES for w in words), sum(w in _EN_CUES for w in words))
    counts = {code: sum(w in cues for w in words) for code, cues in _OTHER_CUES.items()}
    code, hits = max(counts.items(), key=lambda kv: kv[1])
    return code if hits >= 2 and hits > own else None


def detect_language(text: str) -> str:
    """Return the language of a query: ``"id"``, ``"en"``, or another ISO code when clearly other.

    langdetect decides, restricted to Indonesian, Malay (counted as Indonesian) and English and
    seeded, for queries of three or more words. A query opening with an Indonesian question
    word (Apa, Siapa, Kapan, Di mana, Berapa…) is Indonesian. Queries of one or two words go by common
    question and e-government words (so do queries of up to six words where those words agree
    clearly); with no evidence the answer is Indonesian, the corpus language. A query in
    another script, or with several common words of French, Spanish, German, Dutch,
    Portuguese, Javanese or Sundanese, is reported as that language.
    """
    # apostrophes split words here ("what's" -> what, s), so English contractions keep their cue words
    parts = (p for w, _, _ in tokens(text) for p in re.split(r"['’]", w))
    words = [p.lower() for p in parts if p and not any(c.isdigit() for c in p)]
    other = _other_language(text, words)
    if other:
        return other
    if not words:
        return INDONESIAN
    if words[0] in _ID_OPENERS or words[:2] in (["di", "mana"], ["dari", "mana"], ["ke", "mana"]):
        return INDONESIAN
    if len(words) < 3:
        return _cue_vote(words) or INDONESIAN
    if len(words) <= _SHORT_WORDS and (vote := _cue_vote(words, margin=2)):
        return vote
    from langdetect.lang_detect_exception import LangDetectException

    try:
        ranked = _detector(text).get_probabilities()
    except LangDetectException:
        return _cue_vote(words) or INDONESIAN
    best = ranked[0].lang if ranked else INDONESIAN
    return ENGLISH if best == "en" else INDONESIAN
