"""A shortcut for plainly written North American numbers that gives exactly what phonenumbers gives, faster.

phonenumbers stays the authority: this module only applies phonenumbers' OWN metadata (the number-type patterns
and possible lengths of every region of a country code, its time-zone prefix table) in the order the library
applies them, without the library's general parser around them. It accepts only inputs whose parse is trivial —
ASCII digits with spaces, ( ) . - / punctuation, written as +1 and 10 digits, or (in a region whose only national
prefix is "1") 1 and 10 digits or 10 digits, the 10 digits not starting with 0 or 1, optionally followed by an
"x12" / "ext. 12" extension — and only numbers the library calls valid. Everything else returns None and goes
through phonenumbers.parse. tests/imports/test_phone_fast_path.py compares it with phonenumbers.parse +
is_valid_number + format_number(E164) + the time-zone lookup on a large generated corpus. Sources:
phonenumberutil.py (_number_type_helper, _region_code_for_number_from_list, parse) and timezone.py
(time_zones_for_geographical_number) of phonenumbers 9.0.x, the Python port of libphonenumber.
"""
from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, PhoneNumberType
from phonenumbers.phonenumberutil import _MAX_INPUT_STRING_LENGTH, is_number_type_geographical
from phonenumbers.timezone import TIMEZONE_DATA, UNKNOWN_TIMEZONE

# Only ASCII digits and punctuation phonenumbers ignores; no letters (keypad), no x/#/; (extensions), no tabs.
_PLAIN = re.compile(r"\+?[0-9 ().\-/]+")
_NOT_DIGIT = re.compile(r"[^0-9]")
# A plain number, then an extension as CRMs write it: "x12", " ext. 7" (phonenumbers' _EXTN_PATTERN reads these as
# the extension; no "/" in the number, which with an x starts a second number for phonenumbers).
_WITH_EXTENSION = re.compile(r"(\+?[0-9 ().\-]*[0-9)]) ?(?:[xX]|[eE][xX][tT]\.?) ?([0-9]{1,6})")
NANP = 1

# The order phonenumbers' _number_type_helper tries the descriptions after the general one; fixed line is last.
_TYPE_ORDER = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)


class _Matcher:
    """One description (pattern + possible lengths) compiled once, matched as _is_number_matching_desc does."""

    __slots__ = ("lengths", "pattern")

    def __init__(self, desc) -> None:
        self.lengths = frozenset(desc.possible_length or ())
        self.pattern = re.compile(desc.national_number_pattern) if desc.national_number_pattern else None

    def __call__(self, nsn: str) -> bool:
        if self.pattern is None or (self.lengths and len(nsn) not in self.lengths):
            return False
        return self.pattern.fullmatch(nsn) is not None


class _RegionTypes:
    """phonenumbers' _number_type_helper for one region's metadata: the same descriptions in the same order, but
    the specific ones (premium rate … voicemail, then fixed line, then mobile) joined into one alternation per
    number length, so one regex call finds the first that matches (an alternation tries its branches in order)."""

    def __init__(self, metadata) -> None:
        self.leading_digits = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        self.general = _Matcher(metadata.general_desc)
        self.same_mobile_and_fixed = metadata.same_mobile_and_fixed_line_pattern
        self.descs = [
            (desc, ntype) for name, ntype in _TYPE_ORDER if (desc := getattr(metadata, name)) is not None
        ]
        if metadata.fixed_line is not None:
            self.descs.append((metadata.fixed_line, PhoneNumberType.FIXED_LINE))
        if metadata.mobile is not None and not self.same_mobile_and_fixed:
            self.descs.append((metadata.mobile, PhoneNumberType.MOBILE))
        self.mobile = _Matcher(metadata.mobile) if metadata.mobile is not None else None
        self._by_length: dict[int, tuple[re.Pattern | None, list[int]]] = {}

    def _alternation(self, length: int) -> tuple[re.Pattern | None, list[int]]:
        found = self._by_length.get(length)
        if found is None:
            branches, types = [], []
            for desc, ntype in self.descs:
                lengths = desc.possible_length or ()
                if desc.national_number_pattern and (not lengths or length in lengths):
                    branches.append(f"(?P<t{len(types)}>{desc.national_number_pattern})")
                    types.append(ntype)
            found = self._by_length[length] = (re.compile("|".join(branches)) if branches else None, types)
        return found

    def number_type(self, nsn: str) -> int:
        if not self.general(nsn):
            return PhoneNumberType.UNKNOWN
        pattern, types = self._alternation(len(nsn))
        matched = pattern.fullmatch(nsn) if pattern is not None else None
        if matched is None:
            return PhoneNumberType.UNKNOWN
        ntype = types[int(matched.lastgroup[1:])]
        if ntype == PhoneNumberType.FIXED_LINE and (
            self.same_mobile_and_fixed or (self.mobile is not None and self.mobile(nsn))
        ):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return ntype


@functools.cache
def _country_regions(country_code: int) -> tuple[_RegionTypes, ...]:
    regions = []
    for region in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is not None:
            regions.append(_RegionTypes(metadata))
    return tuple(regions)


def number_type(country_code: int, nsn: str) -> int:
    """phonenumbers.number_type of the number (country_code, national significant number `nsn`): the first
    region of the country code that claims the number (by its leading digits, else by matching a type) types it.
    UNKNOWN exactly when phonenumbers.is_valid_number is False."""
    for region in _country_regions(country_code):
        if region.leading_digits is not None:
            if region.leading_digits.match(nsn):
                return region.number_type(nsn)
            continue
        ntype = region.number_type(nsn)
        if ntype != PhoneNumberType.UNKNOWN:
            return ntype
    return PhoneNumberType.UNKNOWN


@functools.cache
def _zone_prefix_lengths(country_code: int) -> tuple[int, ...]:
    """Lengths of the time-zone table's prefixes for the country code, longest first (the table is keyed by
    E.164 digits without +; the library tries every length from TIMEZONE_LONGEST_PREFIX down, most are absent)."""
    code = str(country_code)
    return tuple(sorted({len(k) for k in TIMEZONE_DATA if k.startswith(code)}, reverse=True))


def zones_for(e164: str, country_code: int, ntype: int) -> tuple[str, ...] | None:
    """time_zones_for_geographical_number's answer for a valid geographical number, or None when the number is
    not geographical (the caller then uses phonenumbers' country-wide answer)."""
    if not is_number_type_geographical(ntype, country_code):
        return None
    digits = e164[1:]
    for length in _zone_prefix_lengths(country_code):
        names = TIMEZONE_DATA.get(digits[:length])
        if names is not None:
            return names
    return (UNKNOWN_TIMEZONE,)


@functools.cache
def accepts_national(region: str) -> bool:
    """True when a number written without +1 parses trivially in `region`: a North American region whose only
    national prefix is "1" (no rule that rewrites 7-digit local numbers, as the Caribbean regions have)."""
    metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
    return (
        metadata is not None
        and metadata.country_code == NANP
        and metadata.national_prefix_for_parsing == "1"
        and metadata.national_prefix_transform_rule is None
    )


def plain_nanp(raw: str, region: str) -> tuple[str, int, str] | None:
    """(E.164, phonenumbers.number_type, extension or "") of `raw` when it is a plainly written valid North
    American number, else None (the caller parses it with phonenumbers). `raw` is the cell as written;
    surrounding whitespace is ignored."""
    raw = raw.strip()
    if len(raw) > _MAX_INPUT_STRING_LENGTH or not raw:
        return None
    extension = ""
    if not _PLAIN.fullmatch(raw):
        written = _WITH_EXTENSION.fullmatch(raw)
        if written is None:
            return None
        raw, extension = written.groups()
    digits = _NOT_DIGIT.sub("", raw)
    if raw[0] == "+":
        if len(digits) != 11 or digits[0] != "1":
            return None
        nsn = digits[1:]
    elif not accepts_national(region):
        return None
    elif len(digits) == 11 and digits[0] == "1":
        nsn = digits[1:]
    elif len(digits) == 10:
        nsn = digits
    else:
        return None
    if nsn[0] in "01":
        return None
    ntype = number_type(NANP, nsn)
    if ntype == PhoneNumberType.UNKNOWN:
        return None  # invalid: phonenumbers works out the reason
    return "+1" + nsn, ntype, extension


def slow_e164(raw: str, region: str) -> str | None:
    """What phonenumbers itself says: E.164 of a valid number, else None. The reference the shortcut is tested
    against (and a plain helper for callers that want the library's answer)."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
