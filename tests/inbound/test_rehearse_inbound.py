"""`manage.py rehearse --inbound NUMBER --calls N --json`: simulated callers ring the number; the JSON has the
outbound rehearsal's keys plus tickets and transfers."""
import json

import pytest
from django.core.management import CommandError, call_command

from campaigns.demo import seed_demo
from inbound.demo import DEMO_NUMBER


def test_an_unknown_number_is_refused_with_the_numbers_there_are(db):
    seed_demo(leads=1)
    with pytest.raises(CommandError, match=r"No enabled number '\+14155550000' \(numbers: \+14155550123\)"):
        call_command("rehearse", "--inbound", "+14155550000", "--calls", "1")


def test_five_callers_take_every_inbound_path(transactional_db, eager_celery, capsys):
    seed_demo(leads=5)
    call_command("rehearse", "--inbound", DEMO_NUMBER, "--calls", "5", "--json")

    report = json.loads(capsys.readouterr().out)
    assert report["calls"] == 5
    assert set(report["outcomes"]) == {"booked", "answered", "ticket", "transferred", "wrong_number"}
    assert (report["meetings_booked"], report["tickets"], report["transfers"], report["kb_answers"]) == (1, 1, 1, 1)
    assert {"turns", "agent_turns", "caller_turns", "timed_agent_turns", "interruptions", "v2v_ms",
            "overhead_ms"} <= set(report)
