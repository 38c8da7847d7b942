from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.home, name="home"),
    path("reports/<int:program_id>/", views.report, name="report"),
    path("reports/<int:program_id>/run/", views.run_request, name="run_request"),
    path("runs/<int:run_id>/status/", views.run_status, name="run_status"),
    path("runs/<int:run_id>/compute-now/", views.run_now, name="run_now"),
]
