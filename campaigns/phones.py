"""Phone numbers as a lead list writes them, turned into E.164 plus the zones the number may ring in."""
from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult, national_significant_number
from phonenumbers.timezone import (
    UNKNOWN_TIMEZONE,
    time_zones_for_geographical_number,
    time_zones_for_number,
)

from crm.models import Lead

from .phone_fast_path import number_type as fast_number_type
from .phone_fast_path import plain_nanp, zones_for

TIMEZONE_MAX = Lead._meta.get_field("timezone").max_length
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
        self._cache: dict[str, Phone | str] = {}
        self._country_zones: dict[int, str] = {}
        self._joined: dict[tuple[str, ...], str] = {}

    def normalise(self, raw: str) -> Phone:
        """E.164 and zones for `raw`, or BadPhone with a short reason.

        A plainly written North American number takes phone_fast_path (phonenumbers' own metadata, proven equal
        to phonenumbers.parse by tests/imports/test_phone_fast_path.py); any other value is parsed by
        phonenumbers and its answer remembered (lists repeat the odd values: a placeholder, a shared switchboard)."""
        found = self._cache.get(raw)
        if found is None:
            plain = plain_nanp(raw, self.region)
            if plain is not None:
                e164, ntype, extension = plain
                return Phone(e164, self._plain_zones(e164, ntype), extension)
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()  # keeps 1M-row imports small
            found = self._cache[raw] = self._work_out(raw)
        if isinstance(found, str):
            raise BadPhone(found)
        return found

    def _plain_zones(self, e164: str, ntype: int) -> str:
        names = zones_for(e164, 1, ntype)
        if names is None:
            return self._zones(phonenumbers.parse(e164), ntype)
        joined = self._joined.get(names)
        if joined is None:
            joined = self._joined[names] = _join_zones(names)
        return joined

    def _work_out(self, raw: str) -> Phone | str:
        if _SCIENTIFIC.match(raw):
            return f"Excel turned this number into {raw.strip()}; re-export the column as text"
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
            return _join_zones(time_zones_for_geographical_number(number))
        cached = self._country_zones.get(number.country_code)
        if cached is None:
            cached = self._country_zones[number.country_code] = _join_zones(time_zones_for_number(number))
        return cached


def _join_zones(names) -> str:
    """Sorted IANA names, comma-separated; "" for unknown or too many (a country-wide number such as US
    toll-free: no usable zone, the campaign default applies)."""
    joined = ",".join(sorted(n for n in names if n != UNKNOWN_TIMEZONE))
    return joined if len(joined) <= TIMEZONE_MAX else ""


def number_type(number: phonenumbers.PhoneNumber) -> int:
    """phonenumbers.number_type with the metadata patterns compiled once (phone_fast_path.number_type); UNKNOWN
    exactly when phonenumbers.is_valid_number is False."""
    return fast_number_type(number.country_code, national_significant_number(number))
