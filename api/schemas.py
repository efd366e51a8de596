"""What the API reads and writes, as pydantic schemas (they are also the OpenAPI components)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Schema
from pydantic import AwareDatetime, field_validator

from campaigns.lead_intake import MAX_BATCH

MAX_ID = 2**63 - 1  # ids are PostgreSQL bigints: larger ones are a client error, not a database error
MAX_OFFSET = 2**31 - 1
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2999, 12, 31, tzinfo=dt.UTC)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def limit_param():
    return Query(50, ge=1, le=1000, description="Items per page (at most API_MAX_PAGE_SIZE, 200 by default)")


def offset_param():
    return Query(0, ge=0, le=MAX_OFFSET, description="Items to skip; a page's next_offset")


def id_param():
    return Path(..., ge=1, le=MAX_ID)


Region = Field("US", min_length=2, max_length=2, pattern="^[A-Za-z]{2}$",
               description="ISO 3166 region for numbers written without +country code (ignored with a campaign, "
                           "whose own default region applies)")


class Error(Schema):
    detail: str


class FieldError(Schema):
    field: str
    value: str
    reason: str


# --- leads ----------------------------------------------------------------------------------------------------


class LeadIn(Schema):
    phone: str = Field(..., max_length=200, description="Any common format; normalised to E.164 as the importer does")
    first_name: str = Field("", max_length=10000)
    last_name: str = Field("", max_length=10000)
    full_name: str = Field("", max_length=10000, description="Split into first and last name when those are empty")
    company: str = Field("", max_length=10000)
    email: str = Field("", max_length=10000)
    timezone: str = Field("", max_length=10000, description="IANA name(s); empty: from the number")
    consent_source: str = Field("", max_length=10000, description="'no', 'revoked'… mark the lead do-not-call")
    do_not_call: bool = False
    attributes: dict[str, str] = Field(default_factory=dict, description="Extra fields kept on the lead")


class LeadCreate(LeadIn):
    campaign: str | None = Field(None, description="Slug of a campaign to enroll the lead in")
    region: str = Region


class LeadBatch(Schema):
    leads: list[LeadIn] = Field(..., min_length=1, max_length=MAX_BATCH)
    campaign: str | None = Field(None, description="Slug of a campaign to enroll every valid lead in")
    region: str = Region


class LeadPatch(Schema):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    timezone: str | None = Field(None, max_length=255)
    consent_source: str | None = Field(None, max_length=200)
    attributes: dict[str, str] | None = Field(None, description="Replaces the lead's attributes")


class Enrollment(Schema):
    campaign: str
    state: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_outcome: str


class LeadOut(Schema):
    id: int
    phone: str
    first_name: str
    last_name: str
    company: str
    email: str
    timezone: str
    consent_source: str
    jurisdiction: str | None
    attributes: dict
    do_not_call: bool
    created_at: dt.datetime
    campaigns: list[Enrollment]


class LeadResult(Schema):
    index: int = Field(..., description="Position of the lead in the request, from 0")
    status: Literal["created", "existing", "invalid"]
    lead_id: int | None
    enrolled: bool = Field(..., description="Added to the campaign by this request")
    do_not_call: bool = Field(..., description="On the do-not-call list or marked: never dialed")
    error: FieldError | None


class LeadBatchOut(Schema):
    created: int
    existing: int
    invalid: int
    results: list[LeadResult]


class LeadCreated(Schema):
    result: LeadResult
    lead: LeadOut | None


class LeadPage(Schema):
    count: int
    next_offset: int | None
    items: list[LeadOut]


class Reason(Schema):
    reason: str = Field(..., min_length=1, max_length=255)


# --- do-not-call ----------------------------------------------------------------------------------------------


class DncIn(Schema):
    phone: str = Field(..., max_length=200)
    reason: str = Field(..., min_length=1, max_length=255)
    region: str = Region


class DncOut(Schema):
    phone: str
    on_list: bool
    source: str | None
    reason: str | None
    created_at: dt.datetime | None


# --- campaigns ------------------------------------------------------------------------------------------------


class CampaignOut(Schema):
    slug: str
    name: str
    status: str
    script: str
    caller_id: str
    default_region: str
    default_timezone: str
    calling_days: list[int]
    window_start: dt.time
    window_end: dt.time
    max_concurrency: int
    max_attempts: int
    created_at: dt.datetime


class CampaignPage(Schema):
    count: int
    next_offset: int | None
    items: list[CampaignOut]


class Funnel(Schema):
    total_leads: int
    dialed: int
    answered: int
    conversations: int
    booked: int


class CampaignStats(Schema):
    campaign: CampaignOut
    funnel: Funnel
    outcomes: dict[str, int]
    hopper: dict[str, int] = Field(..., description="Leads by hopper state")
    calls_in_flight: int


class EnrollIn(Schema):
    lead_ids: list[Id] = Field(..., min_length=1, max_length=MAX_BATCH)


class EnrollOut(Schema):
    enrolled: int
    already_in_campaign: int
    do_not_call: int
    results: list[LeadResult]


class ControlOut(Schema):
    campaign: CampaignOut
    warning: str | None = Field(None, description="Why a started campaign may have nothing to dial")


# --- calls ----------------------------------------------------------------------------------------------------


class CallOut(Schema):
    id: int
    campaign: str
    lead_id: int
    phone: str
    attempt: int
    status: str
    outcome: str
    answered_by: str
    placed_at: dt.datetime | None
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration_seconds: int | None
    summary: str
    extracted: dict
    callback_at: dt.datetime | None
    recording_url: str | None
    error: str


class TurnOut(Schema):
    index: int
    speaker: str
    text: str = Field(..., description="What was said (agent: what was generated)")
    heard_text: str = Field(..., description="Agent turns: the part the caller heard")
    interrupted: bool
    started_ms: int
    ended_ms: int
    v2v_ms: int | None


class CallDetail(CallOut):
    turns: list[TurnOut]
    meeting_ids: list[int]


class CallPage(Schema):
    count: int
    next_offset: int | None
    items: list[CallOut]


# --- meetings -------------------------------------------------------------------------------------------------


class RepOut(Schema):
    id: int
    name: str
    username: str


class MeetingOut(Schema):
    id: int
    status: str
    start: dt.datetime
    end: dt.datetime
    rep: RepOut
    lead_id: int
    phone: str
    call_id: int | None
    campaign: str | None
    notes: str


class MeetingPatch(Schema):
    status: Literal["confirmed", "canceled", "held", "no_show", "booked"] | None = Field(
        None, description="'booked' reopens a canceled meeting"
    )
    start: AwareDatetime | None = Field(None, description="Reschedule (same length), with a UTC offset")

    @field_validator("start")
    @classmethod
    def start_in_our_times(cls, value: dt.datetime | None) -> dt.datetime | None:
        """Years 2000-2999 only: a meeting in year 9999 would overflow its end time, not mean anything."""
        if value is not None and not EARLIEST <= value <= LATEST:
            raise ValueError("start must be between the years 2000 and 2999")
        return value


class MeetingUpdated(Schema):
    meeting: MeetingOut
    message: str | None


class MeetingPage(Schema):
    count: int
    next_offset: int | None
    items: list[MeetingOut]
