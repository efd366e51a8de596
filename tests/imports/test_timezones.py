"""The lead's timezone: the file's IANA column when given, else every zone the number may ring in."""
from crm.models import Lead


def test_the_zone_is_inferred_from_the_number(import_csv):
    import_csv("Phone\n+1 212 555 0100\n+1 415 555 0100\n")

    assert dict(Lead.objects.values_list("phone", "timezone")) == {
        "+12125550100": "America/New_York",
        "+14155550100": "America/Los_Angeles",
    }


def test_a_number_spanning_zones_keeps_them_all_sorted(import_csv):
    import_csv("Phone\n(208) 555-0100\n(907) 555-0100\n")

    assert dict(Lead.objects.values_list("phone", "timezone")) == {
        "+12085550100": "America/Boise,America/Los_Angeles",
        "+19075550100": "America/Adak,America/Anchorage",
    }
    assert [z.key for z in Lead.objects.get(phone="+12085550100").zones] == ["America/Boise", "America/Los_Angeles"]


def test_a_country_wide_number_gets_no_zone_rather_than_all_of_them(import_csv):
    import_csv("Phone\n1-800-356-9377\n")

    assert Lead.objects.get().timezone == ""


def test_an_iana_zone_column_wins_over_the_number(import_csv):
    import_csv("Phone,Time Zone\n2125550100,america/chicago\n2125550101,\n")

    assert dict(Lead.objects.values_list("phone", "timezone")) == {
        "+12125550100": "America/Chicago",
        "+12125550101": "America/New_York",
    }


def test_an_unknown_zone_rejects_the_row(import_csv):
    result = import_csv("Phone,Timezone\n2125550100,Eastern Time\n2125550101,Europe/Paris\n")

    assert (result.imported, result.invalid) == (1, 1)
    assert result.errors == [
        {
            "line": 2,
            "column": "Timezone",
            "value": "Eastern Time",
            "reason": "unknown timezone (use an IANA name such as America/Chicago)",
        }
    ]
    assert Lead.objects.get().timezone == "Europe/Paris"
