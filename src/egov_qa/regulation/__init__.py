"""Indonesian regulations read as regulations: structure, locations, citations, lookups and relations."""

from __future__ import annotations

from egov_qa.regulation.identity import Identity, parse_identity
from egov_qa.regulation.structure import Regulation, Unit, parse_regulation

__all__ = ["Identity", "Regulation", "Unit", "parse_identity", "parse_regulation"]
