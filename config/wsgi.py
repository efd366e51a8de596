import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.checks import refuse_insecure_start  # noqa: E402

refuse_insecure_start()  # exits naming the variable when a production setting is insecure
