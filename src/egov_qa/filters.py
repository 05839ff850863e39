"""Metadata filters: what a document can be filtered by (its facets), and the filters themselves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from egov_qa.analysis import references
from egov_qa.errors import QueryError
from egov_qa.records import DATE_KEYS, SOURCE_KEYS, TYPE_KEYS, meta_text


@dataclass(frozen=True, slots=True)
class Filters:
    """Metadata filters for search and ask; empty fields do not filter.

    Matching is case-insensitive; ``sources`` match when the filter text occurs in the source.
    ``hide_repealed`` leaves out regulations that an indexed regulation repeals whole.
    """

    doc_types: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    hide_repealed: bool = False

    def __post_init__(self) -> None:
        """Reject an empty year range."""
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise QueryError(f"Year range {self.year_from}-{self.year_to} is empty: the start is after the end.")

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.doc_types or self.sources or self.categories or self.hide_repealed) or (
            self.year_from is not None or self.year_to is not None
        )

    def accepts(self, facets: Facets) -> bool:
        """Tell whether a document with these facets passes every filter."""
        if self.doc_types and facets.doc_type.lower() not in {t.lower() for t in self.doc_types}:
            return False
        if self.year_from is not None and (facets.year is None or facets.year < self.year_from):
            return False
        if self.year_to is not None and (facets.year is None or facets.year > self.year_to):
            return False
        if self.sources and not any(s.lower() in facets.source.lower() for s in self.sources):
            return False
        if self.hide_repealed and facets.repealed:
            return False
        return not self.categories or facets.category.lower() in {c.lower() for c in self.categories}


@dataclass(frozen=True, slots=True)
class Facets:
    """What a document can be filtered by."""

    doc_type: str = ""
    year: int | None = None
    source: str = ""
    category: str = ""
    reference: str = ""
    repealed: bool = False


def document_facets(title: str, metadata: Mapping[str, Any], head: str) -> Facets:
    """Read a document's type, year, source and category from its metadata.

    A regulation's own reference (``reference``, e.g. ``uu_25_2009``) is the one that opens it:
    a title that starts with one ("UU 25 Tahun 2009"), or an upper-case one near the top of the
    text ("PERATURAN PRESIDEN ... NOMOR 95 TAHUN 2018"); without a declared type it also gives
    the type and year (PERPRES, 2018). An article that merely cites a regulation in its first
    sentence ("... sesuai UU 25/2009") is not a regulation.
    """
    doc_type = meta_text(metadata, *TYPE_KEYS)
    year_text = meta_text(metadata, "year", "tahun") or meta_text(metadata, *DATE_KEYS)[:4]
    opening = [r for r in references(title) if r.start == 0]
    opening += [r for r in references(head[:300]) if _heading(head, r.start, r.end)]
    if not doc_type and opening:
        doc_type = opening[0].kind.upper()
    if not year_text.isdigit() and opening:
        year_text = opening[0].year
    return Facets(
        doc_type=doc_type,
        year=int(year_text) if year_text.isdigit() else None,
        source=meta_text(metadata, *SOURCE_KEYS, "url"),  # a bare URL still filters by site
        category=meta_text(metadata, "category", "kategori", "categories"),
        reference=opening[0].token if opening else "",
    )


def _heading(head: str, start: int, end: int) -> bool:
    """Tell a regulation's own heading from a citation: in capitals, opening its line, its line all capitals.

    "PERATURAN PRESIDEN ... NOMOR 95 TAHUN 2018" and "UU NO 25/2009 TENTANG PELAYANAN PUBLIK"
    are headings; "SPBE diatur dalam PERPRES 95/2018" and "UU 25/2009 mengatur ..." are not.
    """
    line_start = head.rfind("\n", 0, start) + 1
    line_end = head.find("\n", end)
    line = head[line_start : line_end if line_end >= 0 else len(head)]
    return not head[line_start:start].strip() and line.isupper()


@dataclass(frozen=True, slots=True)
class IndexFacets:
    """What an index can be filtered by: its document types, year range, sources and categories.

    ``repealed`` counts the regulations an indexed regulation repeals whole.
    """

    doc_types: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    repealed: int = 0

    @classmethod
    def of(cls, documents: Iterable[Facets]) -> IndexFacets:
        """Gather the facets of every document."""
        docs = list(documents)
        years = [f.year for f in docs if f.year is not None]
        return cls(
            doc_types=tuple(sorted({f.doc_type for f in docs if f.doc_type})),
            years=(min(years), max(years)) if years else None,
            sources=tuple(sorted({f.source for f in docs if f.source})),
            categories=tuple(sorted({f.category for f in docs if f.category})),
            repealed=sum(f.repealed for f in docs),
        )
