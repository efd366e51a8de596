from django.contrib import admin

from .models import PhoneNumber, Ticket, Transfer


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin):
    """Admins add and edit numbers; Managers view them (crm migration 0014 grants view_phonenumber)."""

    list_display = ("number", "label", "script", "timezone", "opens_at", "closes_at", "after_hours",
                    "max_concurrent_calls", "enabled")
    list_filter = ("enabled", "after_hours", "provider")
    search_fields = ("number", "label", "provider_sid")
    filter_horizontal = ("reps",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("id", "category", "summary", "lead", "phone_number", "status", "created_at")
    list_filter = ("status", "category", "phone_number")
    search_fields = ("summary", "lead__phone", "lead__last_name")
    raw_id_fields = ("call", "lead")


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ("id", "call", "to_number", "mode", "status", "created_at")
    list_filter = ("mode", "status")
    raw_id_fields = ("call",)
    readonly_fields = ("summary", "rep_call_sid", "error")
