"""The telephony contract: place, hang up and transfer calls, read the provider's record, check webhooks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class TelephonyError(Exception):
    """Base for provider failures."""


class TransientTelephonyError(TelephonyError):
    """Worth retrying with backoff (rate limit, 5xx, timeout)."""


class PermanentTelephonyError(TelephonyError):
    """Never worth retrying (invalid number, unverified caller id); the call ends with this reason."""


@dataclass(frozen=True)
class DialRequest:
    call_id: int
    to: str
    from_: str
    stream_url: str  # wss://…/media/<signed token>
    status_callback_url: str
    amd_callback_url: str
    ring_timeout: int
    machine_detection: bool = True


@dataclass(frozen=True)
class ProviderCall:
    """The provider's own record of a call, for the sweeper."""

    sid: str
    status: str  # Twilio vocabulary: queued, ringing, in-progress, completed, busy, failed, no-answer, canceled
    duration: int | None = None
    answered_by: str = ""


class Telephony(Protocol):
    name: str

    def place_call(self, request: DialRequest) -> str:
        """Dial; returns the provider's call sid. Raises Transient/PermanentTelephonyError."""

    def hangup(self, sid: str) -> None: ...

    def transfer(self, sid: str, to: str) -> None: ...

    def fetch(self, sid: str) -> ProviderCall: ...

    def find_placed(self, call_id: int, to: str, since: datetime) -> ProviderCall | None:
        """The provider's call for our `call_id` placed since `since`, if any: closes the crash window between
        the provider accepting a dial and us saving its sid."""

    def validate_webhook(self, url: str, params: dict[str, str], signature: str) -> bool: ...


class InvalidNumberError(PermanentTelephonyError):
    """The number called cannot be dialed (Twilio 21211, 21214, 21217…): the lead is done."""


class CallerIdError(PermanentTelephonyError):
    """The campaign's caller id cannot be used (Twilio 21210, 21212…): no lead can be dialed until it is fixed."""
