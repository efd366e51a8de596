"""The Twilio REST emulator's records (tests/emulators/twilio_rest.py): a call as Twilio keeps it, answered as the
JSON of Twilio's Call resource, and the JSON body of a Twilio error.
"""
from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from typing import Any

API = "/2010-04-01/Accounts/"
TERMINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


@dataclass
class EmulatedCall:
    sid: str
    account_sid: str
    form: list[tuple[str, str]]
    status: str = "queued"
    duration: int | None = None
    answered_by: str | None = None
    created: float = field(default_factory=time.time)
    sequence: int = 0
    ended: float | None = None  # when it reached a terminal status
    direction: str = "outbound-api"
    twiml: str = ""  # inbound: what our application answered

    def get(self, name: str) -> str | None:
        return next((v for k, v in self.form if k == name), None)

    def as_json(self) -> dict[str, Any]:
        uri = f"{API}{self.account_sid}/Calls/{self.sid}.json"
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "to": self.get("To"),
            "to_formatted": self.get("To"),
            "from": self.get("From"),
            "from_formatted": self.get("From"),
            "status": self.status,
            "direction": self.direction,
            "api_version": "2010-04-01",
            "answered_by": self.answered_by,
            "duration": None if self.duration is None else str(self.duration),
            "date_created": email.utils.formatdate(self.created, usegmt=True),
            "date_updated": email.utils.formatdate(usegmt=True),
            "start_time": None,
            "end_time": None,
            "price": None,
            "price_unit": "USD",
            "parent_call_sid": None,
            "phone_number_sid": None,
            "caller_name": None,
            "forwarded_from": None,
            "group_sid": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": uri,
            "subresource_uris": {},
        }


def error_body(status: int, code: int, message: str) -> dict:
    """The JSON body of a Twilio REST error (code, message, more_info, status)."""
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    return {"code": code, "message": message, "more_info": more_info, "status": status}
