"""The importer's shortcut for plainly written North American numbers gives exactly phonenumbers' answer.

A large generated corpus (random and edge inputs: invalid area codes and exchanges, 555 numbers, +1 / 1 / 001
prefixes, every punctuation, extensions, letters, other countries, Unicode digits, over-long input) is run through
the shortcut and through phonenumbers.parse + is_valid_number + format_number(E164) + the time-zone lookup."""
import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType
from phonenumbers.timezone import time_zones_for_geographical_number

from campaigns.phone_fast_path import number_type, plain_nanp, slow_e164, zones_for
from campaigns.phones import BadPhone, PhoneBook

AREAS = (201, 212, 415, 555, 800, 833, 900, 976, 911, 311, 100, 199, 264, 268, 340, 416, 604, 787, 876, 809, 242)
PUNCTUATION = (" ", "-", ".", "/", "(", ")", "  ", " - ")


def _ten(rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.4:
        area = rnd.choice(AREAS)
    else:
        area = rnd.randrange(0, 1000)  # invalid area codes (0xx, 1xx, unassigned) included
    exchange = rnd.choice((555, 5550, rnd.randrange(0, 1000), 200, 100, 911))
    return f"{area:03d}{exchange:03d}"[:6] + f"{rnd.randrange(0, 10000):04d}"


def _write(rnd: random.Random, digits: str) -> str:
    """`digits` written the way people and CRMs write numbers."""
    shape = rnd.randrange(8)
    if shape == 0:
        return digits
    if shape == 1:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    if shape == 2:
        sep = rnd.choice(PUNCTUATION)
        return sep.join((digits[:3], digits[3:6], digits[6:]))
    if shape == 3:
        return "".join(c + (rnd.choice(PUNCTUATION) if rnd.random() < 0.3 else "") for c in digits)
    if shape == 4:
        return f"{digits[:3]}.{digits[3:6]}.{digits[6:]}"
    if shape == 5:
        return f"({digits[:3]}){digits[3:6]}-{digits[6:]}"
    if shape == 6:
        return f"{digits[:3]}-{digits[3:]}"
    return f" {digits} "


def corpus(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        ten = _ten(rnd)
        roll = rnd.random()
        if roll < 0.35:
            raw = _write(rnd, ten)
        elif roll < 0.50:
            raw = rnd.choice(("+1 ", "+1", "1-", "1 ", "1", "+1-", "+1 (", "1 (", "+ 1 ")) + _write(rnd, ten)
        elif roll < 0.55:
            raw = rnd.choice(("001 ", "011 1 ", "+01 ", "++1 ", "+11", "11", "0", "+")) + _write(rnd, ten)
        elif roll < 0.62:
            raw = _write(rnd, ten) + rnd.choice((
                " x12", "x12", " X 3", " ext. 7", "ext.7", " Ext 44", " x0123", " x1234567", " x 1234567890", "#45",
                ";ext=9", ",,3", " / x9", "/x9", " x", "-", " xx1", " ext..1", " extension 5", " x-12", "x12#",
            ))
        elif roll < 0.68:  # wrong lengths
            raw = _write(rnd, ten)[: rnd.randrange(1, 12)] + str(rnd.randrange(0, 100))
        elif roll < 0.76:  # other countries, with and without their +code
            number = phonenumbers.example_number_for_type(
                rnd.choice(("GB", "DE", "FR", "AU", "MX", "IN", "BR", "JP", "BS", "JM")),
                rnd.choice((PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE)),
            )
            if number is None:
                continue
            written = phonenumbers.format_number(
                number, rnd.choice((phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.NATIONAL,
                                    phonenumbers.PhoneNumberFormat.INTERNATIONAL))
            )
            raw = written if rnd.random() < 0.7 else written.lstrip("+")
        elif roll < 0.82:  # letters, Unicode digits and spaces, fullwidth plus
            raw = rnd.choice((
                "1-800-FLOWERS", f"{ten[:3]}-{ten[3:6]}-CALL", "٢٠١٥٥٥٠١٢٣", "２０１５５５０１２３", f"＋1 {ten}",
                f"{ten[:3]}\u00a0{ten[3:]}", f"{ten}\t", f"\u2013{ten}", "n/a", "-", "()", "+", "TBD",
            ))
        elif roll < 0.84:  # longer than phonenumbers reads (250 characters)
            raw = ten[:3] + " " * rnd.randrange(240, 260) + ten[3:]
        elif roll < 0.90:  # Excel and CRM damage
            raw = rnd.choice((f"{ten[0]}.{ten[1:6]}E+09", f"{ten}.0", f"'{ten}", f"={ten}", f"{ten} {ten}"))
        else:
            raw = "".join(rnd.choice("0123456789+-() ./") for _ in range(rnd.randrange(1, 20)))
        out.append(raw)
    return out


@pytest.mark.parametrize(("region", "size"), [("US", 40000), ("CA", 6000), ("JM", 4000), ("BS", 3000), ("GB", 4000)])
def test_the_shortcut_equals_phonenumbers_on_a_generated_corpus(region, size):
    inputs = corpus(size, seed=len(region) * 7 + size)
    taken = valid_plain = 0
    for raw in inputs:
        fast = plain_nanp(raw, region)
        expected = slow_e164(raw, region)
        if fast is None:
            continue
        taken += 1
        e164, ntype, extension = fast
        assert e164 == expected, (raw, region)
        parsed = phonenumbers.parse(raw, region)
        assert extension == (parsed.extension or ""), raw
        assert ntype == phonenumbers.number_type(parsed), raw
        zones = zones_for(e164, 1, ntype)
        if zones is not None:
            assert zones == time_zones_for_geographical_number(parsed), raw
    for raw in inputs:  # how much of the valid, plainly written North American input takes the shortcut
        if expected_plain(raw) and slow_e164(raw, region):
            valid_plain += 1
    assert taken > 0 and taken >= valid_plain * (0.99 if region in ("US", "CA", "JM") else 0.2), (taken, valid_plain)


def expected_plain(raw: str) -> bool:
    digits = "".join(c for c in raw if c.isdigit())
    return raw.strip().lstrip("+").replace(" ", "").replace("-", "").isdigit() and len(digits) in (10, 11)


@pytest.mark.parametrize("region", ["US", "CA", "GB"])
def test_the_phone_book_answers_as_it_would_without_the_shortcut(region):
    """Whole answers (E.164, zones, extension, or the error sentence) with and without the shortcut."""
    book = PhoneBook(region)
    for raw in corpus(6000, seed=11):
        try:
            got = book.normalise(raw)
        except BadPhone as exc:
            got = str(exc)
        assert got == PhoneBook(region)._work_out(raw), raw


def test_number_type_agrees_with_phonenumbers_for_every_region():
    rnd = random.Random(3)
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            numbers.append(example)
            for _ in range(5):  # neighbours of the example: some valid, some not, some in other regions
                digits = list(str(example.national_number))
                digits[rnd.randrange(len(digits))] = str(rnd.randrange(10))
                numbers.append(phonenumbers.PhoneNumber(
                    country_code=example.country_code, national_number=int("".join(digits))
                ))
    assert len(numbers) > 2000
    for number in numbers:
        nsn = phonenumbers.national_significant_number(number)
        assert number_type(number.country_code, nsn) == phonenumbers.number_type(number), number
        assert (number_type(number.country_code, nsn) != PhoneNumberType.UNKNOWN) == phonenumbers.is_valid_number(
            number
        )


def test_what_the_shortcut_leaves_to_phonenumbers():
    assert plain_nanp("201-555-0123 x42", "US") == ("+12015550123", PhoneNumberType.FIXED_LINE_OR_MOBILE, "42")
    assert plain_nanp("201-555-0123 ext 42", "US")[2] == "42"
    assert plain_nanp("201-555-0123 #42", "US") is None  # a rarer way to write an extension
    assert plain_nanp("1-800-FLOWERS", "US") is None  # letters
    assert plain_nanp("2015550123", "GB") is None  # national digits outside North America
    assert plain_nanp("+1 201 555 0123", "GB") == ("+12015550123", PhoneNumberType.FIXED_LINE_OR_MOBILE, "")
    assert plain_nanp("555-0123", "US") is None  # invalid: phonenumbers names the reason
    assert plain_nanp("201" + " " * 250 + "5550123", "US") is None  # over phonenumbers' input limit
