"""Exports keep E.164 phone numbers as they are, and still defuse every cell a spreadsheet would run as a formula."""
from __future__ import annotations

import csv
import io

import pytest

from crm.spreadsheet import neutralise, stream_csv


@pytest.mark.parametrize("phone", ["+15551234567", "+14155550100", "+442071838750", "+6591234567", "+81312345678"])
def test_an_e164_phone_number_is_written_as_is(phone):
    assert neutralise(phone) == phone


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil","x")',
        "+1+cmd|' /C calc'!A0",
        "+15551234567+cmd|' /C calc'!A0",
        "+1555123456;=1",
        "-2+3",
        "@SUM(A1:A2)",
        "+1 201 555 0100",  # not E.164: a spreadsheet would still evaluate it
        "+123",  # too short for any country
        "+0123456789",
        "+15551234567\n=1",
        "\t+15551234567",
    ],
)
def test_formulas_and_phone_look_alikes_are_still_defused(cell):
    assert neutralise(cell) == "'" + cell


def test_a_streamed_export_keeps_the_phone_and_defuses_the_formula():
    text = "".join(stream_csv(["phone", "company"], [["+15551234567", "=1+1"]])).lstrip("\ufeff")
    assert list(csv.reader(io.StringIO(text))) == [["phone", "company"], ["+15551234567", "'=1+1"]]
