from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("", views.exports, name="index"),
    path("<int:program_id>/download/", views.export_download, name="download"),
    path("report/<int:run_id>/<slug:fmt>/", views.report_export, name="report"),
    path("report/<int:run_id>/<slug:fmt>/build/", views.report_build, name="report_build"),
    path("jobs/<str:token>/", views.export_status, name="status"),
    path("jobs/<str:token>/build-here/", views.export_build_here, name="build_here"),
    path("file/<str:signed>/", views.export_file, name="file"),
]
