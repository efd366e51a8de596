"""Numbers on the do-not-call list are imported but parked so the dialer never calls them."""
from campaigns.models import CampaignLead
from crm.models import DoNotCall


def test_a_dnc_number_is_imported_as_do_not_call_and_counted(import_csv):
    DoNotCall.objects.create(phone="+12015550150", source=DoNotCall.Source.OPT_OUT)

    result = import_csv("Phone,Name\n(201) 555-0150,Opted Out\n(201) 555-0151,Fine\n")

    assert (result.imported, result.dnc, result.errors) == (2, 1, [])
    states = dict(CampaignLead.objects.values_list("lead__phone", "state"))
    assert states == {"+12015550150": CampaignLead.State.DO_NOT_CALL, "+12015550151": CampaignLead.State.PENDING}
    dialable = CampaignLead.objects.filter(state__in=CampaignLead.DIALABLE_STATES)
    assert list(dialable.values_list("lead__phone", flat=True)) == ["+12015550151"]
