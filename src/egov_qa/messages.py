"""The words egov-qa shows people, in Indonesian and English: answer messages and citation labels.

The CLI, the JSON output and the app take these from here, so an answer reads the same everywhere.
"""

from __future__ import annotations

MESSAGES = {
    "id": {
        "found": "Jawaban ditemukan.",
        "not_found": "Tidak ditemukan jawaban yang meyakinkan di korpus. Berikut bagian teks yang paling dekat.",
        "empty": "Korpus belum berisi dokumen.",
        "evidence": "Bukti",
        "passages": "Bagian teks terkait",
        "source": "Sumber",
        "page": "hlm.",
        "date": "Tanggal",
        "confidence": "Keyakinan",
        "short_answer": "Jawaban singkat",
        "high": "tinggi",
        "medium": "sedang",
        "low": "rendah",
    },
    "en": {
        "found": "Answer found.",
        "not_found": "No confident answer found in the corpus. These are the closest passages.",
        "empty": "The corpus has no documents yet.",
        "evidence": "Evidence",
        "passages": "Related passages",
        "source": "Source",
        "page": "p.",
        "date": "Date",
        "confidence": "Confidence",
        "short_answer": "Short answer",
        "high": "high",
        "medium": "medium",
        "low": "low",
    },
}


def labels(language: str) -> dict[str, str]:
    """Return the messages and labels for a language: Indonesian for ``"id"``, English for any other."""
    return MESSAGES["id" if language == "id" else "en"]


def confidence_text(confidence: float, level: str, language: str) -> str:
    """Return a confidence as people read it: "Keyakinan: tinggi (86%)" / "Confidence: high (86%)"."""
    words = labels(language)
    return f"{words['confidence']}: {words[level]} ({confidence:.0%})"
