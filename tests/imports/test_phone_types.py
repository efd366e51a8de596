"""The importer's faster number_type agrees with phonenumbers on every kind of number in every region."""
import random

import phonenumbers
from phonenumbers import PhoneNumberType

from campaigns.phones import nanp_number, number_type


def test_it_gives_the_same_type_and_validity_as_phonenumbers():
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
                numbers.append(phonenumbers.PhoneNumber(country_code=example.country_code,
                                                        national_number=int("".join(digits))))
    for _ in range(3000):
        numbers.append(phonenumbers.parse(f"+1{rnd.randrange(200, 1000)}{rnd.randrange(2000000, 10000000)}"))

    assert len(numbers) > 5000
    for number in numbers:
        assert number_type(number) == phonenumbers.number_type(number), number
        assert (number_type(number) != PhoneNumberType.UNKNOWN) == phonenumbers.is_valid_number(number), number


def test_plain_north_american_numbers_are_built_exactly_as_phonenumbers_parses_them():
    rnd = random.Random(5)
    shapes = [
        lambda: f"{rnd.randrange(10**9, 10**10)}",  # ten digits, any first digit
        lambda: f"1{rnd.randrange(10**9, 10**10)}",  # trunk 1 + ten digits
        lambda: f"+1{rnd.randrange(10**9, 10**10)}",  # +1 + ten digits
        lambda: f"+1{rnd.randrange(10**8, 10**11)}",  # +1 with the wrong length
        lambda: f"{rnd.randrange(10**6, 10**12)}",  # other lengths
        lambda: f"0{rnd.randrange(10**8, 10**9)}",
    ]
    built = 0
    for region in ("US", "CA", "JM", "GB", "DE"):
        nanp = phonenumbers.country_code_for_region(region) == 1
        for _ in range(3000):
            key = rnd.choice(shapes)()
            number = nanp_number(key, nanp)
            if number is None:
                continue
            built += 1
            assert number == phonenumbers.parse(key, region), (key, region)

    assert built > 5000
    assert nanp_number("2015550123", False) is None  # a national number outside North America is not guessed
    assert nanp_number("+1 201²550123", True) is None
