"""The telephony contract: place, hang up and transfer calls, read the provider's record, check webhooks."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class TelephonyError(Exception):
    """Base for provider failures."""


class TransientTelephonyError(TelephonyError):
    """Worth retrying with backoff (rate limit, 5xx, timeout)."""


class PermanentTelephonyError(TelephonyError):
    """Never worth retrying (invalid number, unverified caller id); the call ends with this reason."""


class UnknownOutcomeError(TelephonyError):
    """A dial request may have reached the provider (read timeout, 5xx, connection reset after sending).

    Never retried blindly: the call is first looked up at the provider (`find_placed`) and adopted if it
    exists; only a provider with no record of it lets the lead be released and dialed again.
    """


class CallNotFoundError(PermanentTelephonyError):
    """The provider has no record of this call sid (Twilio 20404)."""


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
    created: datetime | None = None  # when the provider created it (Twilio `date_created`)


class Telephony(Protocol):
    name: str

    def place_call(self, request: DialRequest) -> str:
        """Dial; returns the provider's call sid. Raises Transient/PermanentTelephonyError."""

    def hangup(self, sid: str) -> None: ...

    def transfer(self, sid: str, to: str) -> None: ...

    def fetch(self, sid: str) -> ProviderCall: ...

    def redirect(self, sid: str, twiml: str) -> None:
        """Replace what live call `sid` is doing with `twiml` (e.g. a message and a hang-up)."""

    def warm_transfer(
        self, sid: str, *, to: str, from_: str, whisper: str, room: str, hold: str, status_callback_url: str,
        ring_timeout: int = 20,
    ) -> str:
        """Ring `to`, say `whisper` to whoever answers, then join them with caller leg `sid` in conference `room`
        (the caller hears `hold` meanwhile); returns the new leg's sid. Raises TelephonyError when the new leg
        cannot be placed (the caller's leg is then untouched)."""

    def find_placed(
        self, call_id: int, to: str, since: datetime, *, from_: str = "", taken: Collection[str] = ()
    ) -> ProviderCall | None:
        """The provider's call for our `call_id` placed since `since`, if any: closes the window between the
        provider accepting a dial and us saving its sid (crash, read timeout, 5xx after acceptance).

        Twilio cannot filter calls by anything but To/From/Status/StartTime (the Call resource does not echo
        the StatusCallback URL that carries our call id), so the adapter lists calls To/From since `since`
        and skips `taken` (sids other Parley calls own). With one active call per lead (a database index),
        the one remaining call is ours. Raises TelephonyError when the provider cannot be asked."""

    def validate_webhook(self, url: str, params: dict[str, str], signature: str) -> bool: ...


class InvalidNumberError(PermanentTelephonyError):
    """The number called cannot be dialed (Twilio 21211, 21214, 21217…): the lead is done."""


class CallerIdError(PermanentTelephonyError):
    """The campaign's caller id cannot be used (Twilio 21210, 21212…): no lead can be dialed until it is fixed."""
