"""Which column of a lead file is which lead field: header synonyms, phone columns ranked by their valid numbers,
compliance (do-not-call) columns, and the checks on a mapping a manager confirmed."""
from __future__ import annotations

import re

from .csv_reading import UnreadableFile
from .phones import BadPhone, PhoneBook

PHONE, FULL_NAME, ATTRIBUTE, IGNORE = "phone", "full_name", "attribute", "ignore"
DO_NOT_CALL = "do_not_call"
# Phone columns in the order a row's numbers are tried: PHONE first, then "phone_2" …
PHONE_RANKS = (PHONE, "phone_2", "phone_3", "phone_4", "phone_5")
TARGETS = {
    PHONE: "Phone",
    "phone_2": "Phone, 2nd choice",
    "phone_3": "Phone, 3rd choice",
    "phone_4": "Phone, 4th choice",
    "phone_5": "Phone, 5th choice",
    "first_name": "First name",
    "last_name": "Last name",
    FULL_NAME: "Full name (split into first and last)",
    "company": "Company",
    "email": "Email",
    "timezone": "Timezone (IANA name)",
    "consent_source": "Consent",
    DO_NOT_CALL: "Do-not-call flag (marked rows are never dialled)",
    ATTRIBUTE: "Keep as a lead attribute",
    IGNORE: "Ignore",
}
SYNONYMS = {
    PHONE: (
        "phone", "phone number", "phonenumber", "phone no", "mobile", "mobile phone", "mobile number", "mobile no",
        "cell", "cell phone", "cellphone", "cell number", "tel", "telephone", "telephone number", "tel no",
        "contact number", "direct phone", "direct dial", "work phone", "business phone", "msisdn",
    ),
    "first_name": ("first name", "firstname", "first", "given name", "forename", "fname"),
    "last_name": ("last name", "lastname", "last", "surname", "family name", "lname"),
    FULL_NAME: ("full name", "fullname", "name", "contact name", "lead name", "person"),
    "company": (
        "company", "company name", "organization", "organisation", "org", "account", "account name", "business",
        "business name", "employer",
    ),
    "email": ("email", "e mail", "email address", "e mail address", "work email"),
    "timezone": ("timezone", "time zone", "tz", "iana timezone", "time zone name"),
    "consent_source": ("consent", "consent source", "opt in", "opt in source", "optin", "permission"),
    DO_NOT_CALL: (
        "do not call", "donotcall", "dnc", "do not contact", "do not phone", "opt out", "opted out", "optout",
        "unsubscribed", "unsubscribe", "call opt out", "phone opt out", "dnc flag", "on dnc list",
    ),
}
_SYNONYM_INDEX = {s: target for target, names in SYNONYMS.items() for s in names}
# Words that make a header a candidate when no header is an exact synonym ("Primary Phone", "Work E-mail");
# a phone candidate must also hold numbers ("Phone Type" and "Account Number" do not).
_HEADER_WORDS = {
    PHONE: ("phone", "mobile", "cell", "tel", "telephone", "number"),
    "first_name": ("first name", "firstname"),
    "last_name": ("last name", "lastname", "surname"),
    "company": ("company", "organization", "organisation"),
    "email": ("email", "e mail"),
    "timezone": ("timezone", "time zone"),
    DO_NOT_CALL: ("do not call", "dnc", "do not contact", "opt out", "opted out", "unsubscribed"),
}
_NON_ALNUM = re.compile(r"[\W_]+")


def header_key(header: str) -> str:
    return _NON_ALNUM.sub(" ", header.lower()).strip()


def detect_mapping(headers: list[str], sample: list[list[str]], region: str = "US") -> dict[str, str]:
    """Map each column to a lead field by its header; the rest become attributes. First an exact synonym
    ("Mobile"), then a header containing the field's word ("Primary Phone", "Work E-mail"); the first column
    that qualifies wins. Every phone-named column that holds numbers is a phone column (a "Fax" never is); when
    none is named, a column whose sample values are mostly valid numbers. Phone columns are ranked PHONE,
    "phone_2", … by how many sample rows they fill with a valid number (ties: exact name, then column order)."""
    mapping = {header: ATTRIBUTE for header in headers}
    taken: set[str] = set()
    book = PhoneBook(region)
    phones: list[int] = []  # candidate phone columns, exact names first
    for i, header in enumerate(headers):
        target = _SYNONYM_INDEX.get(header_key(header))
        if target == PHONE:
            phones.append(i)
            mapping[header] = PHONE
        elif target is not None and target not in taken:
            mapping[header] = target
            taken.add(target)
    for target, words in _HEADER_WORDS.items():
        for i, header in enumerate(headers):
            if (target in taken and target != PHONE) or mapping[header] != ATTRIBUTE:
                continue
            key = f" {header_key(header)} "
            if target == PHONE and " fax " in key:
                continue
            if target == DO_NOT_CALL and " mail " in key.replace(" e mail ", " mail ").replace(" email ", " mail "):
                continue  # "Email Opt Out" is about email, not calls
            if any(f" {word} " in key for word in words) and (
                target != PHONE or _mostly_phones(book, sample, i, when_empty=True)
            ):
                mapping[header] = target
                if target == PHONE:
                    phones.append(i)
                else:
                    taken.add(target)
    if not phones:
        for i, header in enumerate(headers):
            if mapping[header] == ATTRIBUTE and _mostly_phones(book, sample, i, when_empty=False):
                phones.append(i)
                break
        else:
            raise UnreadableFile(
                "No column holds phone numbers: name the phone column Phone, Mobile, Tel or Cell and upload again."
            )
    ranked = sorted(phones, key=lambda i: -_valid_count(book, sample, i))  # stable: ties keep name order
    for i in phones:
        mapping[headers[i]] = ATTRIBUTE
    for rank, i in zip(PHONE_RANKS, ranked, strict=False):
        mapping[headers[i]] = rank
    return mapping


def phone_order(mapping: dict[str, str]) -> list[str]:
    """The mapping's phone columns in the order a row's numbers are tried."""
    return sorted((h for h, t in mapping.items() if t in PHONE_RANKS), key=lambda h: PHONE_RANKS.index(mapping[h]))


def _valid_count(book: PhoneBook, sample: list[list[str]], index: int) -> int:
    return sum(1 for row in sample if index < len(row) and row[index].strip() and is_phone(book, row[index].strip()))


def _mostly_phones(book: PhoneBook, sample: list[list[str]], index: int, when_empty: bool) -> bool:
    values = [row[index].strip() for row in sample if index < len(row) and row[index].strip()]
    if not values:
        return when_empty
    return sum(is_phone(book, v) for v in values) * 2 > len(values)


def mapping_problems(mapping: dict[str, str], headers: list[str]) -> list[str]:
    """What is wrong with a mapping a manager confirmed, as sentences (empty when it is fine)."""
    problems = []
    if set(mapping) != set(headers):
        problems.append("The mapping does not match the file's columns.")
    unknown = sorted({t for t in mapping.values() if t not in TARGETS})
    if unknown:
        problems.append(f"Unknown lead field: {', '.join(unknown)}.")
    counts: dict[str, int] = {}
    for target in mapping.values():
        counts[target] = counts.get(target, 0) + 1
    if counts.get(PHONE, 0) != 1:
        problems.append("Choose exactly one phone column.")
    for target, n in counts.items():
        if n > 1 and target not in (PHONE, ATTRIBUTE, IGNORE, DO_NOT_CALL) and target in TARGETS:
            problems.append(f"Only one column can be {TARGETS[target]}.")
    return problems


def is_phone(book: PhoneBook, value: str) -> bool:
    """True when `value` normalises to a valid number for the book's region (or its own +code)."""
    try:
        book.normalise(value)
    except BadPhone:
        return False
    return True
