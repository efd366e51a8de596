"""Columns are recognised by their headers; names are split; everything unmapped is kept on the lead."""
from campaigns import imports
from campaigns.imports import detect_mapping, mapping_problems, split_full_name
from crm.models import Lead


def test_header_synonyms_map_to_lead_fields():
    headers = ["Mobile", "Given Name", "Surname", "Organisation", "E-mail", "Time zone", "Opt-in source", "Tel"]

    assert detect_mapping(headers, []) == {
        "Mobile": "phone",
        "Given Name": "first_name",
        "Surname": "last_name",
        "Organisation": "company",
        "E-mail": "email",
        "Time zone": "timezone",
        "Opt-in source": "consent_source",
        "Tel": "phone_2",  # a second phone column is tried when the first holds no valid number
    }


def test_a_full_name_is_split_into_first_and_last():
    assert split_full_name("Ada Lovelace") == ("Ada", "Lovelace")
    assert split_full_name("  Mary  Ann Smith ") == ("Mary Ann", "Smith")
    assert split_full_name("Lovelace, Ada") == ("Ada", "Lovelace")
    assert split_full_name("Cher") == ("Cher", "")


def test_a_full_name_column_fills_first_and_last_name(import_csv):
    import_csv('Full Name,Phone\n"Lovelace, Ada",2015550160\nGrace Brewster Hopper,2015550161\n')

    assert sorted(Lead.objects.values_list("first_name", "last_name")) == [
        ("Ada", "Lovelace"),
        ("Grace Brewster", "Hopper"),
    ]


def test_unmapped_columns_become_attributes_and_empty_cells_are_left_out(import_csv):
    import_csv("Phone,Lead Source,Deal Size,Notes\n2015550162,Webinar,,=1+2\n")

    assert Lead.objects.get().attributes == {"Lead Source": "Webinar", "Notes": "=1+2"}


def test_the_managers_corrected_mapping_is_what_gets_imported(campaign):
    data = b"Phone,Name,Secret\n2015550163,Ada Lovelace,do not keep\n"
    started = imports.start_import(campaign, data, "leads.csv")
    started.mapping = {"Phone": "phone", "Name": "company", "Secret": "ignore"}
    started.save()

    imports.run_import(started.pk)

    lead = Lead.objects.get()
    assert (lead.company, lead.first_name, lead.attributes) == ("Ada Lovelace", "", {})


def test_row_fields_are_validated_column_by_column(import_csv):
    long_name = "x" * 101
    result = import_csv(f"Phone,First name,Email\n2015550164,{long_name},\n2015550165,Ben,not-an-email\n")

    assert result.errors == [
        {"line": 2, "column": "First name", "value": long_name, "reason": "longer than 100 characters"},
        {"line": 3, "column": "Email", "value": "not-an-email", "reason": "invalid email address"},
    ]


def test_a_mapping_needs_exactly_one_phone_and_one_column_per_field():
    headers = ["A", "B", "C"]

    assert mapping_problems({"A": "phone", "B": "email", "C": "attribute"}, headers) == []
    assert mapping_problems({"A": "attribute", "B": "email", "C": "ignore"}, headers) == [
        "Choose exactly one phone column."
    ]
    assert mapping_problems({"A": "phone", "B": "email", "C": "email"}, headers) == ["Only one column can be Email."]


def test_a_list_without_a_header_row_loses_no_row(import_csv):
    result = import_csv("(201) 555-0166,Ada Lovelace,ada@example.com\n(201) 555-0167,Ben Franklin,\n")

    assert result.mapping == {"Column 1": "phone", "Column 2": "attribute", "Column 3": "attribute"}
    assert (result.total_rows, result.imported) == (2, 2)
    ada = Lead.objects.get(phone="+12015550166")
    assert ada.attributes == {"Column 2": "Ada Lovelace", "Column 3": "ada@example.com"}


def test_headers_that_contain_a_fields_word_are_recognised_when_no_header_is_exact():
    headers = ["Contact First Name", "Contact Last Name", "Phone Type", "Primary Phone", "Work E-mail", "Account"]
    sample = [["Ada", "Lovelace", "mobile", "(201) 555-0100", "ada@example.com", "Acme"]]

    assert detect_mapping(headers, sample) == {
        "Contact First Name": "first_name",
        "Contact Last Name": "last_name",
        "Phone Type": "attribute",  # holds no numbers
        "Primary Phone": "phone",
        "Work E-mail": "email",
        "Account": "company",
    }


def test_ambiguous_headers_are_not_taken_for_lead_fields_without_evidence():
    headers = ["Account Number", "Zone", "Mail", "Number"]
    sample = [["A-1001", "North", "12 High St", "(201) 555-0101"]]

    assert detect_mapping(headers, sample) == {
        "Account Number": "attribute",
        "Zone": "attribute",  # a sales territory, not a timezone
        "Mail": "attribute",  # a postal address, not an email
        "Number": "phone",  # it holds phone numbers
    }
