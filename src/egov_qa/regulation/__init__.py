"""Indonesian regulations read as regulations: structure, locations, citations, lookups and relations."""

from __future__ import annotations

from egov_qa.regulation.structure import Identity, Regulation, Unit, parse_identity, parse_regulation

__all__ = ["Identity", "Regulation", "Unit", "parse_identity", "parse_regulation"]
