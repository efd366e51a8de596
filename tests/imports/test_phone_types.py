"""The importer's faster number_type agrees with phonenumbers on every kind of number in every region."""
import random

import phonenumbers
from phonenumbers import PhoneNumberType

from campaigns.phones import number_type


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
