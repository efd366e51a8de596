from django.contrib import admin

from .models import Campaign, CampaignLead, LeadImport, Script, ScriptVersion, TestCall


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "status", "script", "max_concurrency", "calls_per_second", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("reps",)


class ScriptVersionInline(admin.TabularInline):
    model = ScriptVersion
    extra = 0
    fields = ("number", "created_by", "created_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Script)
class ScriptAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "published_version", "created_at")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ScriptVersionInline]


@admin.register(ScriptVersion)
class ScriptVersionAdmin(admin.ModelAdmin):
    list_display = ("script", "number", "created_by", "created_at")
    list_filter = ("script",)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None  # versions are immutable: new ones come from the script editor


@admin.register(CampaignLead)
class CampaignLeadAdmin(admin.ModelAdmin):
    list_display = ("lead", "campaign", "state", "attempts", "next_attempt_at", "last_outcome")
    list_filter = ("state", "campaign", "last_outcome")
    raw_id_fields = ("lead", "lead_import")
    search_fields = ("lead__phone",)


@admin.register(LeadImport)
class LeadImportAdmin(admin.ModelAdmin):
    list_display = ("original_name", "campaign", "status", "total_rows", "imported", "duplicates", "invalid", "dnc")
    list_filter = ("status", "campaign")


@admin.register(TestCall)
class TestCallAdmin(admin.ModelAdmin):
    """Browser test calls, read-only: what was said is a record, not a setting."""

    list_display = ("id", "script_version", "started_by", "started_at", "outcome", "providers")
    list_filter = ("outcome",)
    readonly_fields = [f.name for f in TestCall._meta.fields]
