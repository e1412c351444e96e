import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.handlers import SiteWSGIHandler  # noqa: E402

# What django.core.wsgi.get_wsgi_application() gives, with the public reads' short
# middleware stack (config/handlers.py).
application = SiteWSGIHandler()
