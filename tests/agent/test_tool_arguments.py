"""A tool call's arguments are coerced and checked against the tool's schema; a bad call is an error the model reads."""
import pytest

from voice.tool_arguments import UNPARSED, ArgumentError, clean_arguments

BOOK = {
    "type": "object",
    "properties": {"rep_id": {"type": "integer"}, "start": {"type": "string"}},
    "required": ["rep_id", "start"],
}
END = {
    "type": "object",
    "properties": {"outcome": {"type": "string", "enum": ["booked", "opt_out"]}, "reason": {"type": "string"},
                   "urgent": {"type": "boolean"}, "minutes": {"type": "number"}},
    "required": ["outcome"],
}


@pytest.mark.parametrize("sent, expected", [("1.0", 1), ("3", 3), (" 5 ", 5), (7.0, 7), (4, 4), ("-2", -2)])
def test_integers_written_as_strings_or_floats_are_read_as_integers(sent, expected):
    assert clean_arguments(BOOK, {"rep_id": sent, "start": "2026-12-01T10:00"})["rep_id"] == expected


@pytest.mark.parametrize("sent", ["abc", "1.5", 1.5, True, [], {}])
def test_a_value_that_is_no_integer_is_refused_naming_the_argument(sent):
    with pytest.raises(ArgumentError, match="rep_id must be an integer"):
        clean_arguments(BOOK, {"rep_id": sent, "start": "2026-12-01T10:00"})


def test_null_for_a_required_string_is_refused():
    with pytest.raises(ArgumentError, match="start is required and cannot be null"):
        clean_arguments(BOOK, {"rep_id": 3, "start": None})


def test_a_missing_required_argument_is_named():
    with pytest.raises(ArgumentError, match="^start is required$"):
        clean_arguments(BOOK, {"rep_id": 3})


def test_every_bad_argument_is_reported_at_once():
    with pytest.raises(ArgumentError) as caught:
        clean_arguments(BOOK, {"rep_id": "x"})
    assert "rep_id must be an integer (got 'x')" in str(caught.value) and "start is required" in str(caught.value)


def test_optional_nulls_and_unknown_arguments_are_dropped_so_defaults_apply():
    assert clean_arguments(END, {"outcome": "booked", "reason": None, "mood": "happy"}) == {"outcome": "booked"}


def test_enums_match_regardless_of_case_and_a_wrong_one_lists_the_choices():
    assert clean_arguments(END, {"outcome": "Opt_Out"}) == {"outcome": "opt_out"}
    with pytest.raises(ArgumentError, match="outcome must be one of booked, opt_out"):
        clean_arguments(END, {"outcome": "success"})


def test_booleans_numbers_and_strings_are_coerced_from_their_plain_spellings():
    cleaned = clean_arguments(END, {"outcome": "booked", "urgent": "true", "minutes": "2.5", "reason": 42})
    assert cleaned == {"outcome": "booked", "urgent": True, "minutes": 2.5, "reason": "42"}


@pytest.mark.parametrize("sent", [None, {}])
def test_no_arguments_at_all_is_an_empty_object(sent):
    assert clean_arguments(END | {"required": []}, sent) == {}


def test_arguments_that_are_not_an_object_are_refused():
    with pytest.raises(ArgumentError, match="must be a JSON object"):
        clean_arguments(BOOK, ["3", "2026-12-01"])


def test_arguments_the_adapter_could_not_parse_are_reported_as_not_json():
    with pytest.raises(ArgumentError, match="not valid JSON"):
        clean_arguments(BOOK, {UNPARSED: '{"rep_id": 1'})
