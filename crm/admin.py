from django.contrib import admin

from .models import Availability, Call, DoNotCall, Lead, Meeting, Rep, Turn
from .roles import is_admin


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("phone", "first_name", "last_name", "company", "timezone", "created_at")
    search_fields = ("phone", "first_name", "last_name", "company", "email")
    list_filter = ("timezone",)


@admin.register(DoNotCall)
class DoNotCallAdmin(admin.ModelAdmin):
    """Taking a number off the list means calling someone who asked not to be called (TCPA, 47 CFR 64.1200(d)):
    only Admins delete entries, and nobody edits an entry's number (add the right one instead)."""

    list_display = ("phone", "source", "reason", "created_at")
    list_filter = ("source",)
    search_fields = ("phone",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and is_admin(request.user)

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:
        return ("phone",) if obj is not None else ()


class AvailabilityInline(admin.TabularInline):
    model = Availability
    extra = 0


@admin.register(Rep)
class RepAdmin(admin.ModelAdmin):
    list_display = ("__str__", "phone", "timezone", "meeting_minutes", "active")
    list_filter = ("active", "timezone")
    inlines = [AvailabilityInline]


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ("rep", "weekday", "start", "end")
    list_filter = ("weekday", "rep")


class TurnInline(admin.TabularInline):
    model = Turn
    extra = 0
    fields = ("index", "speaker", "text", "heard_text", "interrupted", "v2v_ms")
    readonly_fields = fields


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("id", "campaign", "lead", "status", "outcome", "answered_by", "created_at", "duration_seconds")
    list_filter = ("status", "outcome", "campaign", "answered_by")
    search_fields = ("provider_sid", "lead__phone", "lead__last_name")
    date_hierarchy = "created_at"
    raw_id_fields = ("lead", "campaign_lead")
    inlines = [TurnInline]


@admin.register(Turn)
class TurnAdmin(admin.ModelAdmin):
    list_display = ("call", "index", "speaker", "interrupted", "v2v_ms")
    list_filter = ("speaker", "interrupted")
    raw_id_fields = ("call",)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("lead", "rep", "start", "end", "status", "campaign")
    list_filter = ("status", "rep", "campaign")
    date_hierarchy = "start"
    raw_id_fields = ("lead", "call")
