"""The shipped bilingual glossary and English query expansion."""

from __future__ import annotations

import pytest

from egov_qa.glossary import Glossary, _parse, load_glossary


def test_the_shipped_glossary_is_large_and_well_formed() -> None:
    g = load_glossary()
    assert len(g) >= 300
    domains = {e.domain for e in g.entries}
    for needed in ("public service", "licensing", "population administration", "e-government", "digital divide"):
        assert needed in domains
    for needed in ("civil servant", "regional government", "complaint", "open data", "digital divide"):
        assert g.expand(needed).indonesian, needed
    assert all(e.indonesian and all(t.strip() for t in e.indonesian) for e in g.entries)


def test_expansion_is_longest_match_and_reports_coverage() -> None:
    g = load_glossary()
    e = g.expand("How do business actors get a business identification number?")
    assert "nomor induk berusaha" in e.indonesian and "pelaku usaha" in e.indonesian
    assert 0.5 < e.coverage <= 1.0
    assert g.expand("public services").indonesian[0] == "pelayanan publik"  # plural folded
    nothing = g.expand("Who won the football match yesterday?")
    assert nothing.indonesian == () and nothing.coverage == 0.0


def test_reverse_lookup_for_tooltips() -> None:
    g = load_glossary()
    assert any(e.english == "complaint" for e in g.english("pengaduan"))
    assert any(e.english == "civil servant" for e in g.english("ASN"))


def test_a_malformed_line_names_its_number() -> None:
    with pytest.raises(ValueError, match="line 2"):
        _parse("english\tindonesian\tdomain\nonly one field\n")
    merged = Glossary(_parse("permit\tizin\tlicensing\npermit\tperizinan\tlicensing\n"))
    assert merged.expand("permit").indonesian == ("izin", "perizinan")
