import os

from django.core.wsgi import get_wsgi_application

from carbonfoot.startup import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbonfoot.settings")
settings_or_exit()  # a bad configuration: its message alone, and the server stops
application = get_wsgi_application()
