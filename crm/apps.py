from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from config import checks  # noqa: F401  registers the production-settings system check
