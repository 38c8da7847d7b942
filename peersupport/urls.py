from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

handler403 = "peersupport.views.error_403"
handler404 = "peersupport.views.error_404"
handler500 = "peersupport.views.error_500"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("organisation/switch/", views.switch_organisation, name="switch_organisation"),
    path("organisation/members/", views.members, name="members"),
    path("organisation/members/<int:pk>/", views.membership_update, name="membership_update"),
    path("organisation/audit/", views.audit_log, name="audit_log"),
    path("organisation/settings/", views.organisation_settings, name="organisation_settings"),
    path("profile/", views.profile, name="profile"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("programs/", include("programs.urls")),
    path("participants/", include("participants.urls")),
    path("sessions/", include("sessions.urls")),
    path("surveys/", include("surveys.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("exports/", include("exports.urls")),
    path("import/", include("importer.urls")),
    # The offline service worker and the web app manifest (sessions/offline_urls.py).
    path("", include("sessions.offline_urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]
