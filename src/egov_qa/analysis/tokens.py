"""Words, stop words and acronyms: the units every analysis in egov-qa starts from."""

from __future__ import annotations

import re

Span = tuple[int, int]
# a word: letters and digits, with inner hyphens or apostrophes (e-KTP, undang-undang)
WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")

# Indonesian and English function words: not indexed, not marked in a passage, not counted as
# content by the glossary
STOPWORDS = frozenset(
    """
    ada adalah adanya agar akan akan akhirnya aku anda antara apa apabila apakah atas atau
    bagaimana bagi bahkan bahwa banyak baru beberapa begitu belum berapa berbagai bisa boleh
    bukan cukup dalam dan dapat dari daripada demikian dengan di dia dilakukan dimana diri
    hal hanya harus hingga ia ialah ini itu jadi jika juga kalau kami kamu kapan karena ke
    kecuali kemudian kenapa kepada ketika kini kita lagi lain lainnya lalu lebih maka mana
    masih melalui memiliki mengenai mengapa menjadi menurut mereka merupakan meski misalnya
    mungkin namun nya oleh pada padahal para per pula pun saat saja salah sama sampai sangat
    satu saya se sebagai sebagaimana sebelum sebuah secara sedang sehingga sejak selain selama
    seluruh semua sendiri seperti serta sesuai setelah setiap siapa suatu sudah supaya tak
    tanpa telah tentang terhadap termasuk tersebut tetapi tidak untuk walau walaupun yaitu
    yakni yang
    a about after all also an and any are as at be been being but by can could did do does
    for from had has have how if in into is it its may more most must no not of on or other
    our should so such than that the their them there these they this those through to under
    was we were what when where which while who whom why will with would you your
    """.split()
)


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Return (word, start, end) for every word of ``text``."""
    return [(m.group(), m.start(), m.end()) for m in WORD.finditer(text)]


def is_acronym(word: str) -> bool:
    """Tell an acronym (UU, KK, NIK, BPJS, KemenPAN) from an upper-case ordinary word in a title."""
    letters = [c for c in word if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return len(letters) >= 2 and (upper == len(letters) and len(letters) <= 5 or 2 <= upper < len(letters))
