"""Cells a spreadsheet would run as formulas are defused in every CSV Parley writes."""
import csv
import io

import pytest

from crm.spreadsheet import neutralise, stream_csv, write_csv


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+1 201 555 0100", "'+1 201 555 0100"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ada Lovelace", "Ada Lovelace"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_it_prefixes_an_apostrophe_to_formula_like_text_only(cell, written):
    assert neutralise(cell) == written


def test_both_writers_neutralise_every_cell_including_the_header():
    rows = [["=1+1", 7, "plain"]]
    written = io.StringIO()
    write_csv(written, ["@header", "n", "text"], rows)
    streamed = "".join(stream_csv(["@header", "n", "text"], rows)).lstrip("\ufeff")

    expected = [["'@header", "n", "text"], ["'=1+1", "7", "plain"]]
    assert list(csv.reader(io.StringIO(written.getvalue()))) == expected
    assert list(csv.reader(io.StringIO(streamed))) == expected
