"""Root-level addresses of the offline app: the service worker must be served from the
site's root to control every page, and the manifest sits beside it."""

from django.urls import path

from . import offline_views

urlpatterns = [
    path("sw.js", offline_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline_views.web_manifest, name="web_manifest"),
]
