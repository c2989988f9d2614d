"""OCIs: the DOI rule against OpenCitations' own published OCIs, decoding, and the OMID form."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citegraph.metrics.oci import (
    OciError,
    decode_oci,
    doi_oci,
    encode_doi,
    omid_oci,
    split_oci,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "opencitations"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_documented_vector() -> None:
    # spec §3.5, from the oci README
    assert doi_oci("10.1186/1756-8722-6-59", "10.1186/1756-8722-5-31") == (
        "02001010806360107050663080702026306630509-02001010806360107050663080702026305630301")


@pytest.mark.parametrize("name", ["citations_data.csv", "coci_v1_citations_from_api.csv"])
def test_every_published_doi_oci_is_reproduced_and_decoded(name: str) -> None:
    # the recorded /citation/{oci} answers carry OMID OCIs (upstream changed its OCIs): tested below
    rows = [row for row in _rows(name) if row["oci"].startswith("020")]
    assert len(rows) >= 6
    for row in rows:
        assert doi_oci(row["citing"], row["cited"]) == row["oci"]
        (s1, citing), (s2, cited) = decode_oci(row["oci"])
        assert (s1, s2) == ("doi", "doi")
        # decoding gives the DOI less every inner "10." (the removal quirk; 10.1525/bio.2010.60.5.2 is one)
        assert (citing, cited) == tuple("10." + row[k].lower().replace("10.", "") for k in ("citing", "cited"))


def test_every_10_dot_is_removed_as_upstream_does() -> None:
    # the quirk: "10." inside the suffix is dropped too, so the OCI does not decode to the same DOI
    assert encode_doi("10.1000/x10.5") == encode_doi("10.1000/x5")


def test_case_and_whitespace_do_not_change_the_oci() -> None:
    assert doi_oci("10.1108/JD-12-2013-0166 ", "10.1371/journal.PGEN.1005937") == doi_oci(
        "10.1108/jd-12-2013-0166", "10.1371/journal.pgen.1005937")


def test_a_character_outside_the_table_gives_no_oci() -> None:
    assert encode_doi("10.1000/\U0001f600") is None
    assert doi_oci("10.1000/\U0001f600", "10.1000/x") is None


def test_omid_ocis() -> None:
    sample = _rows("citations_sample.csv")
    for row in sample:
        assert "oci:" + omid_oci(row["citing"], row["cited"]) == row["id"]
        (_, citing), (_, cited) = decode_oci(row["id"])
        assert "omid:" + citing == row["citing"] and "omid:" + cited == row["cited"]


@pytest.mark.parametrize("bad", ["", "oci:", "123", "06101801781", "06101801781-", "0610x-0620", "1-2",
                                 "06101801781-06180334099-0610", "oci:0-0"])
def test_malformed_ocis_are_refused(bad: str) -> None:
    with pytest.raises(OciError):
        decode_oci(bad)


def test_an_unknown_supplier_is_refused_clearly() -> None:
    with pytest.raises(OciError, match="supplier prefix 0110"):
        decode_oci("01101-01102")
    assert split_oci("01101-01102") == ("01101", "01102")


def test_a_doi_side_that_is_not_codes_is_refused() -> None:
    with pytest.raises(OciError):
        decode_oci("0209-0209")  # 9 alone starts no code


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._;()/:", min_size=1, max_size=40))
def test_doi_ocis_round_trip(suffix: str) -> None:
    doi = "10.1234/" + suffix
    oci = doi_oci(doi, "10.5555/x")
    assert oci is not None
    (_, citing), _ = decode_oci(oci)
    assert citing == "10." + doi.replace("10.", "")
