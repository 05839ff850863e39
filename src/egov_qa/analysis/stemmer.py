"""A rule-based Indonesian stemmer: one stem per word, the same for every member of a word family.

Without a root dictionary some words come out "wrong" (keluarga -> luarga) but every member of a
family comes out the same, which is what BM25 and the question-term marks need. Words that the
rules would mangle and that matter in government texts are listed.
"""

from __future__ import annotations

_KEEP = frozenset(
    """
    digital digitalisasi menteri sekolah masalah jumlah sejumlah pemilu pemilih daerah kereta
    sepeda selular seluler sekretaris sekretariat sektor sertifikat sertifikasi semester senat
    teritorial terminal teori teknis teknologi beras berita benar besar beton belanja
    perlu pertama persen peran pers perdana pegawai kepala keluarga kelas kelurahan kecamatan
    tangan kabupaten kota desa provinsi negara negeri nasional internasional lokal regional global
    """.split()
)
# roots whose k melts into meng-/peng- (pengelolaan, mengembangkan); a vowel after meng-/peng-
# otherwise starts the root itself (mengurus, pengaduan)
_MELTED_K = frozenset(
    """
    kelola kembang kendali kenal kirim kumpul kuasa kurang keluar kerja kunjung kutip kembali
    kuat kukuh kabul kosong kemas kelompok kemuka kerah kena kejar kontrol koordinasi
    """.split()
)
_ROOTS = _KEEP | _MELTED_K  # whole roots: never stripped further
_CLUSTERS = frozenset("pr tr kr br bl pl gr dr fr kl gl fl sl sp st sk sw ny ng sy kh".split())
_VOWELS = frozenset("aiueo")
_MIN_ROOT = 4


def _plausible(rest: str) -> bool:
    """Tell whether ``rest`` can be a root: a vowel, a consonant + vowel, or a known cluster first."""
    if len(rest) < _MIN_ROOT:
        return False
    return rest[0] in _VOWELS or rest[1] in _VOWELS or rest[:2] in _CLUSTERS


def _strip_suffixes(word: str) -> str:
    for particle in ("lah", "kah", "pun"):
        if word.endswith(particle) and len(word) - 3 >= _MIN_ROOT:
            word = word[:-3]
            break
    if word.endswith("nya") and len(word) - 3 >= _MIN_ROOT:
        word = word[:-3]
    # ke-...-an and pe(N/r)-...-an are nouns: "kebijakan" is kebijak-an, not kebija-kan
    noun = word.startswith(("ke", "pe"))
    if word.endswith("kan") and len(word) - 3 >= _MIN_ROOT and not noun:
        return word[:-3]
    if word.endswith("an") and len(word) - 2 >= _MIN_ROOT:
        return word[:-2]
    if word.endswith("i") and len(word) - 1 >= _MIN_ROOT and word[-2] not in _VOWELS:
        return word[:-1]
    return word


# nasal prefix -> {first letter of the rest: letter to put back ("" = none)}; "V" = any vowel
_NASALS: tuple[tuple[str, dict[str, str]], ...] = (
    ("meny", {"V": "s"}), ("peny", {"V": "s"}),
    ("meng", {"V": "", "g": "", "h": "", "k": ""}), ("peng", {"V": "", "g": "", "h": "", "k": ""}),
    ("mem", {"V": "p", "b": "", "f": "", "v": "", "p": ""}), ("pem", {"V": "p", "b": "", "f": "", "v": "", "p": ""}),
    ("men", {"V": "t", "d": "", "c": "", "j": "", "z": ""}), ("pen", {"V": "t", "d": "", "c": "", "j": "", "z": ""}),
)  # fmt: skip


def _strip_nasal(word: str) -> tuple[str, bool] | None:
    for prefix, rules in _NASALS:
        if not word.startswith(prefix) or len(word) <= len(prefix):
            continue
        rest = word[len(prefix) :]
        first = "V" if rest[0] in _VOWELS else rest[0]
        if first == "V" and prefix in ("meng", "peng") and "k" + rest in _MELTED_K:
            return "k" + rest, True
        if first in rules:
            # a melted letter put back, or a nasal form that takes no further prefix, ends stripping
            return rules[first] + rest, first == "V" or prefix not in ("mem", "pem")
        if prefix in ("men", "pen") and rest.startswith("sy"):
            return rest, True
    return None


def _strip_inner_prefix(word: str) -> tuple[str, bool] | None:
    """Strip one of meN-, peN-, ber-, per-, ter-, pe-, be-; None when none applies.

    Returns the rest and whether it is final: a nasal prefix that gave back a melted first
    letter (menerbitkan -> terbit) leaves a whole root that must not be stripped again.
    """
    nasal = _strip_nasal(word)
    if nasal is not None:
        return nasal
    if word.startswith(("ber", "per", "ter")) and _plausible(word[3:]):
        return word[3:], False
    if word.startswith("me") and word[2:3] in ("l", "r", "w", "y", "m", "n"):
        return word[2:], True
    if word.startswith("pe") and word[2:3] not in _VOWELS and _plausible(word[2:]):
        return word[2:], True
    if word.startswith("be") and word[3:5] == "er" and word[2:3] not in _VOWELS:
        return word[2:], True
    return None


def stem(word: str) -> str:
    """Return the one stem of an Indonesian word used by the lexical index (lower-cased).

    Suffixes first (particle, -nya, then one of -kan/-an/-i), then at most one of di-/ke-/se-,
    then up to two of meN-/peN-/ber-/per-/ter-/pe-/be-; a strip is only taken when a plausible
    root of at least four letters is left.
    """
    word = word.lower()
    if len(word) <= _MIN_ROOT or word in _ROOTS or not word.isalpha():
        return word
    word = _strip_suffixes(word)
    if word in _ROOTS:
        return word
    for outer in ("di", "ke", "se"):
        rest = word[2:]
        # a three-letter root only after a vowel-initial cut: diadu -> adu, diisi -> isi (not dinas -> nas)
        if word.startswith("seny"):  # senyum, senyap: not se- + a root
            break
        if word.startswith(outer) and (_plausible(rest) or (len(rest) == 3 and rest[0] in _VOWELS)):
            word = word[2:]
            break
    for _ in range(2):
        stripped = None if word in _ROOTS else _strip_inner_prefix(word)
        if stripped is None or len(stripped[0]) < _MIN_ROOT - 1:
            break
        word, final = stripped
        if final:
            break
    return word
