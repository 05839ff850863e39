"""The app's interface words, in Indonesian and English: labels, hints, messages, example questions.

Kept beside :mod:`egov_qa.messages` (the words an answer is given in) so that every string a person
reads has one home and both languages side by side.
"""

from __future__ import annotations

import re

EXAMPLES: dict[str, list[str]] = {
    "id": [
        "Apa fungsi Nomor Induk Berusaha (NIB)?",
        "Siapa yang mengevaluasi penerapan SPBE?",
        "Di mana warga bisa menyampaikan pengaduan pelayanan publik?",
    ],
    "en": [
        "What does the business identification number do?",
        "Who evaluates the implementation of SPBE?",
        "What are the main obstacles to e-government in Indonesia?",
    ],
}
INTERFACE: dict[str, dict[str, str]] = {
    "id": {
        "ask_page": "Tanya",
        "corpus_page": "Korpus",
        "placeholder": "Tanyakan sesuatu…",
        "ask": "Tanya",
        "examples": "Contoh pertanyaan",
        "language": "Bahasa pertanyaan",
        "results": "Jumlah hasil",
        "mode": "Cara pencarian",
        "mode_hybrid": "Gabungan (disarankan)",
        "mode_dense": "Menurut makna",
        "mode_lexical": "Kata yang sama persis",
        "mode_help": "Gabungan: menurut makna (juga lintas bahasa) dan kata yang sama; menurut makna: model "
        "multibahasa saja; kata yang sama persis: pencarian kata (BM25) saja.",
        "filters": "Saring",
        "type": "Jenis dokumen",
        "year": "Tahun",
        "source": "Sumber",
        "category": "Kategori",
        "loaded": "Indeks dimuat",
        "score": "skor",
        "context": "Tampilkan konteks",
        "open_article": "Buka Pasal {pasal} dalam peraturan",
        "article_text": "Bunyi Pasal {pasal}",
        "explanation": "Penjelasan",
        "no_explanation": "Peraturan ini tidak memuat penjelasan untuk pasal ini.",
        "previous_article": "‹ Pasal {pasal}",
        "next_article": "Pasal {pasal} ›",
        "article_missing": "Pasal ini tidak ditemukan lagi di indeks.",
        "hide_repealed": "Sembunyikan peraturan yang sudah dicabut",
        "no_index": "Belum ada indeks. Bangun indeks di halaman Korpus, atau jalankan: egov-qa ingest corpus/",
        "status": "Status indeks",
        "documents": "Dokumen",
        "chunks": "Potongan",
        "model": "Model",
        "built": "Dibangun",
        "skipped": "Dilewati pada pembaruan terakhir",
        "upload": "Unggah artikel (.txt, .md, .html, .pdf, .jsonl)",
        "overwrite": "Timpa file yang sudah ada",
        "add": "Tambahkan dan perbarui indeks",
        "url": "Atau tempel URL artikel",
        "fetch": "Ambil dan perbarui indeks",
        "remove": "Hapus dokumen",
        "remove_confirm": "Ya, hapus file ini dari korpus",
        "remove_button": "Hapus dan perbarui indeks",
        "build": "Bangun / perbarui indeks",
        "updated": "Indeks diperbarui",
        "updating": "Memperbarui indeks…",
        "nothing": "Tidak ada file yang ditambahkan.",
        "choose_files": "Paling besar 20 MB per file.",
        "choose": "Pilih",
        "file": "File",
        "reason": "Alasan",
        "answer_heading": "Jawaban",
        "question": "Pertanyaan",
        "copy_citation": "salin kutipan di bawah",
        "more_evidence": "Kalimat bukti lain",
        "more_from_doc": "{n} bagian lain dari dokumen ini",
        "closest": "Bagian teks yang paling dekat",
        "active_filters": "Saringan aktif (klik untuk menghapus)",
        "passages_shown": "bagian teks ditampilkan",
        "about": "Tentang server ini",
        "index_folder": "Folder indeks",
        "corpus_folder": "Folder korpus",
        "added": "dokumen ditambahkan",
        "changed": "diperbarui",
        "removed": "dihapus",
        "index_holds": "indeks kini berisi",
        "remove_choose": "Pilih dokumen yang akan dihapus",
        "saved": "Disimpan",
        "deleted": "Dihapus",
        "not_updated": "File sudah diubah, tetapi indeks belum diperbarui",
        "access_open": "Server hanya dapat dijangkau dari komputer ini: pengelolaan korpus terbuka tanpa kata sandi.",
        "access_closed": "Korpus hanya dapat dibaca: server ini dapat dijangkau dari jaringan dan tidak diberi kata "
        "sandi admin. Jalankan dengan egov-qa serve --admin-password … (atau EGOV_QA_ADMIN_PASSWORD) untuk "
        "mengelola korpus.",
        "password": "Kata sandi admin",
        "unlock": "Buka pengelolaan korpus",
        "wrong_password": "Kata sandi salah.",
        "rebuild_full": "Bangun ulang indeks dari awal",
        "glossary": "Glosarium",
    },
    "en": {
        "ask_page": "Ask",
        "corpus_page": "Corpus",
        "placeholder": "Ask a question…",
        "ask": "Ask",
        "examples": "Example questions",
        "language": "Question language",
        "results": "Number of results",
        "mode": "Search mode",
        "mode_hybrid": "Combined (recommended)",
        "mode_dense": "By meaning",
        "mode_lexical": "Exact words",
        "mode_help": "Combined: by meaning (also across languages) and by shared words; by meaning: the "
        "multilingual model only; exact words: word search (BM25) only.",
        "filters": "Filters",
        "type": "Document type",
        "year": "Year",
        "source": "Source",
        "category": "Category",
        "loaded": "Loaded index",
        "score": "score",
        "context": "Show context",
        "open_article": "Open Article {pasal} in the regulation",
        "article_text": "Text of Article {pasal}",
        "explanation": "Elucidation (Penjelasan)",
        "no_explanation": "This regulation has no elucidation for this article.",
        "previous_article": "‹ Article {pasal}",
        "next_article": "Article {pasal} ›",
        "article_missing": "This article is no longer in the index.",
        "hide_repealed": "Hide repealed regulations",
        "no_index": "No index yet. Build it on the Corpus page, or run: egov-qa ingest corpus/",
        "status": "Index status",
        "documents": "Documents",
        "chunks": "Chunks",
        "model": "Model",
        "built": "Built",
        "skipped": "Skipped by the last update",
        "upload": "Upload articles (.txt, .md, .html, .pdf, .jsonl)",
        "overwrite": "Overwrite existing files",
        "add": "Add and update the index",
        "url": "Or paste an article's URL",
        "fetch": "Fetch and update the index",
        "remove": "Remove a document",
        "remove_confirm": "Yes, delete this file from the corpus",
        "remove_button": "Remove and update the index",
        "build": "Build / update the index",
        "updated": "Index updated",
        "updating": "Updating the index…",
        "nothing": "No file was added.",
        "choose_files": "Up to 20 MB per file.",
        "choose": "Choose",
        "file": "File",
        "reason": "Reason",
        "answer_heading": "Answer",
        "question": "Question",
        "copy_citation": "copy the citation below",
        "more_evidence": "More evidence sentences",
        "more_from_doc": "{n} more passage(s) from this document",
        "closest": "The closest passages",
        "active_filters": "Active filters (click to remove)",
        "passages_shown": "passages shown",
        "about": "About this server",
        "index_folder": "Index folder",
        "corpus_folder": "Corpus folder",
        "added": "documents added",
        "changed": "updated",
        "removed": "removed",
        "index_holds": "the index now holds",
        "remove_choose": "Choose the document to remove",
        "saved": "Saved",
        "deleted": "Deleted",
        "not_updated": "The files were changed, but the index was not updated",
        "access_open": "The server is reachable from this computer only: corpus management is open without a password.",
        "access_closed": "The corpus is read-only: this server is reachable from the network and has no admin "
        "password. Start it with egov-qa serve --admin-password … (or EGOV_QA_ADMIN_PASSWORD) to manage the corpus.",
        "password": "Admin password",
        "unlock": "Unlock corpus management",
        "wrong_password": "Wrong password.",
        "rebuild_full": "Rebuild the index from scratch",
        "glossary": "Glossary",
    },
}
LANGUAGES: dict[str, str] = {"id": "Bahasa Indonesia", "en": "English"}
PAGES: dict[str, str] = {"ask": "Tanya / Ask", "corpus": "Korpus / Corpus"}


# The library's refusals are written in English; the Indonesian interface shows them in
# Indonesian. Each pattern matches a message (or the reason after "name: ") the library writes.
_REFUSALS_ID: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in (
        (r"^the file is empty$|^empty file$", "file kosong"),
        (r"^(?P<mb>[\d.]+) MB is over the (?P<limit>\d+) MB limit$", r"\g<mb> MB, melebihi batas \g<limit> MB"),
        (r"^file is (?P<mb>\d+) MB, over the (?P<limit>\d+) MB limit$", r"\g<mb> MB, melebihi batas \g<limit> MB"),
        (r"^not a PDF file .*$", "bukan file PDF"),
        (r"^binary file \((?P<why>.+)\), not text$", r"file biner, bukan teks (\g<why>)"),
        (r"^no document could be read from it$", "tidak ada dokumen yang dapat dibaca dari file ini"),
        (r"^a file name cannot contain folders or start with a dot; rename the file$",
         "nama file tidak boleh berisi folder atau diawali titik; ganti nama filenya"),
        (r"^unsupported file type (?P<ext>\S+); use one of (?P<kinds>.+)$",
         r"jenis file \g<ext> tidak didukung; gunakan salah satu dari \g<kinds>"),
        (r"^(?P<name>\S+) already exists in the corpus; replace it explicitly to overwrite it$",
         r"\g<name> sudah ada di korpus; centang «Timpa file yang sudah ada» untuk menggantinya"),
        (r"^(?P<url>\S+) is already in the corpus as (?P<name>\S+); fetch it again with overwrite$",
         r"\g<url> sudah ada di korpus sebagai \g<name>; centang «Timpa» untuk mengambilnya lagi"),
        (r"^Refused to fetch (?P<url>\S+): only http and https addresses are fetched.*$",
         r"Tidak mengambil \g<url>: hanya alamat http dan https yang diambil"),
        (r"^Refused to fetch (?P<url>\S+): .*inside this machine or its network.*$",
         r"Tidak mengambil \g<url>: alamat itu berada di komputer ini atau jaringan internalnya. Server intranet "
         r"harus dicantumkan di EGOV_QA_ALLOWED_HOSTS."),
        (r"^Could not fetch (?P<url>\S+): (?P<why>.+)$", r"Gagal mengambil \g<url>: \g<why>"),
        (r"^no main text found in the HTML page$", "tidak ada teks utama di halaman HTML ini"),
        (r"^no text layer .*$", "PDF tanpa lapisan teks (hasil pindai?); lakukan OCR lebih dulu"),
        (r"^YAML aliases .*$", "alias YAML (*nama) tidak diizinkan dalam front matter"),
        (r"^duplicate doc_id; the first one was kept$", "doc_id ganda; yang pertama disimpan"),
        (r"^duplicate id (?P<id>.+)$", r"id ganda \g<id>"),
        (r"^malformed JSON: .*$", "baris JSON rusak"),
        (r"^empty text$", "teks kosong"),
        (r"^file skipped this time; previous version kept$", "file dilewati kali ini; versi sebelumnya tetap dipakai"),
        (r"^No file (?P<file>\S+) in the corpus folder .*$", r"Tidak ada file \g<file> di folder korpus"),
        (r"^Year range (?P<a>\d+)-(?P<b>\d+) is empty: .*$", r"Rentang tahun \g<a>-\g<b> kosong."),
        (r"^a symbolic link .*; not followed$", "tautan simbolik ke luar korpus atau berputar; diabaikan"),
    )
]  # fmt: skip


def in_language(message: str, language: str) -> str:
    """Return a message of the library's in the interface language (Indonesian when a pattern knows it).

    "name: reason" messages keep the name and have the reason put in words.
    """
    if language != "id":
        return message
    for pattern, replacement in _REFUSALS_ID:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    name, sep, reason = message.partition(": ")
    if sep:
        for pattern, replacement in _REFUSALS_ID:
            if pattern.match(reason):
                return f"{name}: {pattern.sub(replacement, reason)}"
    return message
