from django.apps import AppConfig


class DialerConfig(AppConfig):
    name = "dialer"
    default_auto_field = "django.db.models.BigAutoField"
