"""Calling rules per jurisdiction (US state, Canadian province) and each lead's jurisdiction.

NOT LEGAL ADVICE. This table is an engineering summary of the statutes cited on each row, read from their
official or published texts in November 2026; it covers only the calling-hour, day and frequency rules
that are stricter than Parley's own 08:00-21:00 local cap (47 C.F.R. § 64.1200(c)(1), the federal TCPA
rule, applied everywhere by dialer/windows.py). Consent, registration, caller-id and do-not-call duties in
the same statutes are not modelled here. Have counsel review before relying on it; add rows with a citation.

A lead's jurisdiction is a code like "US-FL" or "CA-BC" ("" when unknown or outside US/Canada), stored on
`Lead.jurisdiction` (NULL until derived). It comes from the lead file's state/province column (kept as a
lead attribute named State, Province, ST or Region) when present, else from the number through Google's
libphonenumber offline geocoder (the `phonenumbers` package: the area code's state or province).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import geocoder

log = logging.getLogger(__name__)

FEDERAL_US = "47 C.F.R. § 64.1200(c)(1) (TCPA): no telephone solicitation before 8 a.m. or after 9 p.m. local"
CRTC = (
    "CRTC Unsolicited Telecommunications Rules, Part III (Telemarketing Rules): 9:00-21:30 weekdays, "
    "10:00-18:00 weekends, called party's local time"
)


@dataclass(frozen=True)
class Rule:
    """One jurisdiction's calling rule. Hours are local to the called party; start inclusive, end exclusive.

    `hours` maps a weekday (0 = Monday) to (start, end); a weekday missing from `hours` uses `default`;
    `forbidden_weekdays` and `forbidden_dates` ((month, day)) allow no call at all.
    """

    code: str
    name: str
    default: tuple[dt.time, dt.time]
    citation: str
    source: str
    hours: dict[int, tuple[dt.time, dt.time]] = field(default_factory=dict)
    forbidden_weekdays: frozenset[int] = frozenset()
    forbidden_dates: frozenset[tuple[int, int]] = frozenset()
    max_calls_per_24h: int | None = None

    def window_on(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        """(start, end) allowed on that local date, or None when no call is allowed that day."""
        if day.weekday() in self.forbidden_weekdays or (day.month, day.day) in self.forbidden_dates:
            return None
        return self.hours.get(day.weekday(), self.default)

    def allows_local(self, local: dt.datetime) -> bool:
        window = self.window_on(local.date())
        return window is not None and window[0] <= local.time().replace(tzinfo=None) < window[1]

    def describe(self) -> str:
        start, end = self.default
        text = f"{self.name}: calls {start:%H:%M}-{end:%H:%M} local"
        for day, (s, e) in sorted(self.hours.items()):
            text += f", {_DAY_NAMES[day]} {s:%H:%M}-{e:%H:%M}"
        if self.max_calls_per_24h:
            text += f", at most {self.max_calls_per_24h} calls per 24 h"
        return f"{text} ({self.citation})"


_DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
T = dt.time
EIGHT_TO_EIGHT = (T(8), T(20))

RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        Rule(
            "US-FL", "Florida", EIGHT_TO_EIGHT,
            "Fla. Stat. § 501.616(6)(a)-(b) (Florida Telemarketing Act, as amended by ch. 2021-174, "
            "SB 1120); see also § 501.059 (Florida Telephone Solicitation Act)",
            "https://www.flsenate.gov/Laws/Statutes/2024/501.616",
            max_calls_per_24h=3,
        ),
        Rule(
            "US-OK", "Oklahoma", EIGHT_TO_EIGHT,
            "15 O.S. § 775C.1 et seq. (Oklahoma Telephone Solicitation Act of 2022)",
            "https://oksenate.gov/",
            max_calls_per_24h=3,
        ),
        Rule(
            "US-MD", "Maryland", EIGHT_TO_EIGHT,
            "Md. Code, Com. Law § 14-4501 et seq. (Stop the Spam Calls Act of 2023)",
            "https://mgaleg.maryland.gov/",
            max_calls_per_24h=3,
        ),
        Rule(
            "US-TX", "Texas", (T(9), T(21)),
            "Tex. Bus. & Com. Code § 301.051 (weekdays and Saturday 9 a.m.-9 p.m., Sunday noon-9 p.m.)",
            "https://statutes.capitol.texas.gov/Docs/BC/htm/BC.301.htm",
            hours={6: (T(12), T(21))},
        ),
        Rule(
            "US-WA", "Washington", EIGHT_TO_EIGHT,
            "RCW 80.36.390 (no calls to a residence between 8 p.m. and 8 a.m.)",
            "https://app.leg.wa.gov/RCW/default.aspx?cite=80.36.390",
        ),
    ]
}  # fmt: skip

_CANADA = ("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT")
for _province in _CANADA:
    RULES[f"CA-{_province}"] = Rule(
        f"CA-{_province}", f"Canada ({_province})", (T(9), T(21, 30)), CRTC,
        "https://crtc.gc.ca/eng/trules-reglest.htm", hours={5: (T(10), T(18)), 6: (T(10), T(18))},
    )  # fmt: skip

US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "washington d.c.": "DC", "florida": "FL",
    "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
    "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
    "new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
    "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR",
}  # fmt: skip
CA_PROVINCES = {
    "alberta": "AB", "british columbia": "BC", "manitoba": "MB", "new brunswick": "NB",
    "newfoundland and labrador": "NL", "newfoundland": "NL", "nova scotia": "NS", "northwest territories": "NT",
    "nunavut": "NU", "ontario": "ON", "prince edward island": "PE", "quebec": "QC", "québec": "QC",
    "saskatchewan": "SK", "yukon": "YT",
}  # fmt: skip
STATE_ATTRIBUTE_KEYS = ("state", "province", "state/province", "state or province", "st", "region", "prov")


def rule_for(code: str) -> Rule | None:
    """The stricter-than-federal rule for a jurisdiction code, if the table has one."""
    return RULES.get(code)


def baseline_citation(code: str) -> str:
    """The rule every call in this jurisdiction's country obeys when the table has no stricter row."""
    return CRTC if code.startswith("CA-") else FEDERAL_US


def from_state(value: str, country: str = "") -> str:
    """A state/province cell ("FL", "Florida", "US-FL", "British Columbia") as a code, or "" if unknown."""
    text = (value or "").strip()
    if not text:
        return ""
    upper = text.upper()
    if len(upper) == 5 and upper[2] == "-" and upper[:2] in ("US", "CA"):
        return upper
    low = text.lower().rstrip(".")
    if low in US_STATES:
        return f"US-{US_STATES[low]}"
    if low in CA_PROVINCES:
        return f"CA-{CA_PROVINCES[low]}"
    if len(upper) == 2:
        if upper in _CANADA and country != "US" and upper not in US_STATES.values():
            return f"CA-{upper}"
        if upper in US_STATES.values() and country != "CA":
            return f"US-{upper}"
        if upper in _CANADA:
            return f"CA-{upper}"
    return ""


def from_number(phone: str) -> str:
    """The US state or Canadian province of a number's area code ("" if not US/Canada or not geographic).

    Source: libphonenumber's offline geocoder (`phonenumbers.geocoder`), e.g. +1 305 -> "Florida",
    +1 212 -> "New York, NY", +1 604 -> "British Columbia". A ported mobile number keeps its area code's
    state, which is why a state column in the lead file wins.
    """
    try:
        number = phonenumbers.parse(str(phone), None)
    except phonenumbers.NumberParseException:
        return ""
    region = phonenumbers.region_code_for_number(number)
    if region not in ("US", "CA"):
        return ""
    place = geocoder.description_for_number(number, "en")
    if not place:
        return ""
    if "," in place:  # "New York, NY"
        return from_state(place.rsplit(",", 1)[1], region)
    return from_state(place, region)


def for_lead(phone: str, attributes: dict | None) -> str:
    """The lead's jurisdiction: the file's state/province column wins, else the number's area code."""
    for key, value in (attributes or {}).items():
        if str(key).strip().lower() in STATE_ATTRIBUTE_KEYS and isinstance(value, str):
            code = from_state(value)
            if code:
                return code
    return from_number(phone)


def allows(code: str, zones: list[ZoneInfo], now: dt.datetime) -> bool:
    """Whether `code`'s rule allows a call at `now` in every one of the lead's zones (no rule: True)."""
    rule = RULES.get(code)
    return rule is None or all(rule.allows_local(now.astimezone(zone)) for zone in zones)
