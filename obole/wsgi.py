"""The WSGI application that `obole serve` runs."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "obole.settings")
application = get_wsgi_application()
