"""Query language detection: Indonesian or English, deterministic, sensible for short queries."""

from __future__ import annotations

import re
import threading
from typing import Any

INDONESIAN = "id"
ENGLISH = "en"
_PRIORS = {"id": 1.0, "ms": 1.0, "en": 1.0}
_SEED = 0
_SHORT_WORDS = 6
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
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
_lock = threading.Lock()
_factory: Any = None


def _detector(text: str) -> Any:
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
    detector.set_prior_map(_PRIORS)
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


def detect_language(text: str) -> str:
    """Return ``"id"`` or ``"en"`` for a query.

    langdetect decides, restricted to Indonesian, Malay (counted as Indonesian) and English and
    seeded, for queries of three or more words. Queries of one or two words go by common
    question and e-government words (so do queries of up to six words where those words agree
    clearly); with no evidence the answer is Indonesian, the corpus language.
    """
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
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
