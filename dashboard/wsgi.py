"""The WSGI application. gunicorn loads it once in its master (`--preload`) and forks the
workers from there, so the whole start-up cost is paid once instead of once per worker."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import resolve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
application = get_wsgi_application()

# Django imports the URL modules (the API, its schemas, the views) on the first request;
# importing them here lets forked workers inherit them instead of each importing its own.
resolve("/")

# Everything loaded so far lives as long as the process: exempting it from garbage
# collection keeps each collection short and, after fork, the pages shared with the master.
gc.freeze()
