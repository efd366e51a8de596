"""Phone numbers as a lead list writes them, turned into E.164 plus the zones the number may ring in."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    NumberParseException,
    PhoneMetadata,
    PhoneNumberType,
    ValidationResult,
    national_significant_number,
)
from phonenumbers.phonenumberutil import _number_type_helper
from phonenumbers.timezone import (
    UNKNOWN_TIMEZONE,
    time_zones_for_geographical_number,
    time_zones_for_number,
)

from crm.models import Lead

TIMEZONE_MAX = Lead._meta.get_field("timezone").max_length
_PLAIN = re.compile(r"^\s*\+?[\d\s().\-/]+$")
_NOT_DIGIT = re.compile(r"\D")
CACHE_MAX = 50_000  # remembered answers per PhoneBook
# What Excel shows for a long number in a General-format cell: "1.41555E+10" (digits after the 6th are lost).
_SCIENTIFIC = re.compile(r"^\s*\d+(?:[.,]\d+)?[eE]\+?\d+\s*$")
# Regions tried, in order, to name the country a number without its +code belongs to when it is not valid for
# the campaign's region: where lead lists sent to a US/CA/GB business most often come from.
_OTHER_REGIONS = ("GB", "CA", "AU", "IE", "DE", "FR", "ES", "IT", "NL", "MX", "BR", "IN", "NZ", "ZA", "PH")

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too short: the area code is missing",
}


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str
    timezone: str  # "" when unknown or country-wide; else sorted IANA names, comma-separated
    extension: str


class BadPhone(ValueError):
    pass


class PhoneBook:
    """Normalises numbers for one region, remembering each answer: lists repeat numbers and formats a lot."""

    def __init__(self, region: str) -> None:
        self.region = (region or "US").upper()
        self._nanp = phonenumbers.country_code_for_region(self.region) == 1
        self._cache: dict[str, Phone | str] = {}
        self._country_zones: dict[int, str] = {}

    def normalise(self, raw: str) -> Phone:
        """E.164 and zones for `raw`, or BadPhone with a short reason."""
        if _PLAIN.match(raw):
            key = ("+" if raw.lstrip().startswith("+") else "") + _NOT_DIGIT.sub("", raw)
        else:
            key = raw
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()  # lists repeat formats and numbers close together; keeps 1M-row imports small
            found = self._cache[key] = self._work_out(raw, key)
        if isinstance(found, str):
            raise BadPhone(found)
        return found

    def _work_out(self, raw: str, key: str) -> Phone | str:
        if _SCIENTIFIC.match(raw):
            return f"Excel turned this number into {raw.strip()}; re-export the column as text"
        plain = nanp_number(key, self._nanp)
        if plain is not None and (ntype := number_type(plain)) != PhoneNumberType.UNKNOWN:
            return Phone(f"+1{plain.national_number}", self._zones(plain, ntype), "")
        number, ntype, reason = self._parse(raw)
        if number is None:
            digits = _NOT_DIGIT.sub("", raw)
            # "00 44 …" means international to most of the world, even where the region dials out with 011.
            if digits.startswith("00") and not raw.lstrip().startswith("+"):
                number, ntype, _ = self._parse("+" + digits[2:])
        if number is None:
            return self._elsewhere(raw) or reason
        return Phone(
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            self._zones(number, ntype),
            number.extension or "",
        )

    def _elsewhere(self, raw: str) -> str:
        """"not a valid US number, but a valid GB number …" when a number written without its +code is valid for
        another country (national format with trunk 0, or the country code without its +); else ""."""
        if raw.lstrip().startswith(("+", "00")):
            return ""  # written for a country already: the reason names it
        digits = _NOT_DIGIT.sub("", raw)
        try:
            number = phonenumbers.parse("+" + digits)
        except NumberParseException:
            number = None
        if number is not None and number_type(number) != PhoneNumberType.UNKNOWN:
            region = phonenumbers.region_code_for_country_code(number.country_code)  # +44: GB, not GG
            return f"not a valid {self.region} number, but a valid {region} number missing its +: write +{digits}"
        if not digits.startswith("0"):
            return ""  # not written in another country's national format (trunk prefix 0)
        for region in _OTHER_REGIONS:
            if region == self.region:
                continue
            try:
                number = phonenumbers.parse(raw, region)
            except NumberParseException:
                continue
            code = phonenumbers.country_code_for_region(region)
            if number.country_code == code and number_type(number) != PhoneNumberType.UNKNOWN:
                return (
                    f"not a valid {self.region} number, but a valid {region} number: write it with its country "
                    f"code, +{code} …"
                )
        return ""

    def _parse(self, raw: str) -> tuple[phonenumbers.PhoneNumber | None, int, str]:
        try:
            number = phonenumbers.parse(raw, self.region)
        except NumberParseException as exc:
            return None, PhoneNumberType.UNKNOWN, _PARSE_REASONS.get(exc.error_type, "not a phone number")
        # The type is UNKNOWN exactly when is_valid_number is False; computing it once serves the zone lookup too.
        ntype = number_type(number)
        if ntype == PhoneNumberType.UNKNOWN:
            possible = phonenumbers.is_possible_number_with_reason(number)
            # Named for the country the number was written for (its +code, else the campaign's region).
            country = phonenumbers.region_code_for_country_code(number.country_code)
            reason = _POSSIBLE_REASONS.get(possible, f"not a valid {country} number")
            return None, ntype, reason
        return number, ntype, ""

    def _zones(self, number: phonenumbers.PhoneNumber, ntype: int) -> str:
        if phonenumbers.is_number_type_geographical(ntype, number.country_code):
            names = time_zones_for_geographical_number(number)
        else:
            cached = self._country_zones.get(number.country_code)
            if cached is not None:
                return cached
            names = time_zones_for_number(number)
        joined = ",".join(sorted(n for n in names if n != UNKNOWN_TIMEZONE))
        if len(joined) > TIMEZONE_MAX:
            joined = ""  # a country-wide number (e.g. US toll-free): no usable zone; campaign default applies
        if not phonenumbers.is_number_type_geographical(ntype, number.country_code):
            self._country_zones[number.country_code] = joined
        return joined


def nanp_number(key: str, region_is_nanp: bool) -> phonenumbers.PhoneNumber | None:
    """The number phonenumbers.parse returns for a plain North American number (digits, an optional +1 or 1),
    built directly: parsing is a third of an import's CPU and most lists are written this way."""
    if key.startswith("+1"):
        digits = key[2:]
    elif not region_is_nanp:
        return None
    elif len(key) == 11 and key[0] == "1":
        digits = key[1:]
    else:
        digits = key
    if len(digits) != 10 or digits[0] in "01" or not (digits.isascii() and digits.isdigit()):
        return None
    return phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))


def number_type(number: phonenumbers.PhoneNumber) -> int:
    """phonenumbers.number_type, minus its second pattern match: the library finds the region by matching the
    number's type and then matches it again to return the type (a third of an import's CPU on 100k rows)."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(number.country_code)
    if not regions:
        return PhoneNumberType.UNKNOWN
    nsn = national_significant_number(number)
    if len(regions) == 1:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(number.country_code, regions[0])
        return PhoneNumberType.UNKNOWN if metadata is None else _number_type_helper(nsn, metadata)
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if _leading_digits(metadata.leading_digits).match(nsn):
                return _number_type_helper(nsn, metadata)
            continue
        ntype = _number_type_helper(nsn, metadata)
        if ntype != PhoneNumberType.UNKNOWN:
            return ntype
    return PhoneNumberType.UNKNOWN


@functools.cache
def _leading_digits(pattern: str) -> re.Pattern:
    return re.compile(pattern)
