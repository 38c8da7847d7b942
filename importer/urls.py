from django.urls import path

from . import views

app_name = "importer"
urlpatterns = [
    path("", views.import_upload, name="upload"),
    path("template.zip", views.import_template, name="template"),
    path("<str:token>/", views.import_status, name="status"),
    path("<str:token>/confirm/", views.import_confirm, name="confirm"),
    path("<str:token>/check-here/", views.import_check_here, name="check_here"),
]
