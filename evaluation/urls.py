from django.urls import path

from . import instrument_views, report_views, survey_views

app_name = "evaluation"
urlpatterns: list = []

# Instruments, program instruments, surveys (issue 5).
urlpatterns += [
    path("instruments/", instrument_views.instrument_list, name="instrument_list"),
    path("instruments/new/", instrument_views.instrument_create_view, name="instrument_create"),
    path("instruments/<int:pk>/", instrument_views.instrument_detail, name="instrument_detail"),
    path("instruments/<int:pk>/edit/", instrument_views.instrument_edit, name="instrument_edit"),
    path(
        "programs/<int:program_pk>/instruments/",
        instrument_views.program_instrument_list,
        name="program_instruments",
    ),
    path(
        "programs/<int:program_pk>/instruments/ready-made/<slug:key>/",
        instrument_views.program_instrument_catalog_add,
        name="program_instrument_catalog_add",
    ),
    path(
        "programs/<int:program_pk>/instruments/<int:pk>/remove/",
        instrument_views.program_instrument_remove_view,
        name="program_instrument_remove",
    ),
    path("surveys/", survey_views.survey_overview_view, name="survey_overview"),
    path("surveys/cohort/<int:cohort_pk>/", survey_views.survey_todo, name="survey_todo"),
    path(
        "surveys/cohort/<int:cohort_pk>/enter/<slug:code>/<slug:timepoint>/",
        survey_views.administration_enter,
        name="administration_enter",
    ),
    path("surveys/<int:pk>/", survey_views.administration_detail, name="administration_detail"),
    path("surveys/<int:pk>/edit/", survey_views.administration_edit, name="administration_edit"),
    path(
        "surveys/enrollment/<int:enrollment_pk>/link/",
        survey_views.survey_link_new,
        name="survey_link_new",
    ),
    path("surveys/cohort/<int:cohort_pk>/kiosk/", survey_views.kiosk_start, name="kiosk_start"),
    path("surveys/cohort/<int:cohort_pk>/kiosk/next/", survey_views.kiosk_next, name="kiosk_next"),
    path(
        "surveys/cohort/<int:cohort_pk>/kiosk/answer/",
        survey_views.kiosk_answer,
        name="kiosk_answer",
    ),
    path(
        "surveys/cohort/<int:cohort_pk>/kiosk/thanks/",
        survey_views.kiosk_handback,
        name="kiosk_handback",
    ),
    path("s/done/", survey_views.survey_done, name="survey_done"),
    path("s/<str:token>/", survey_views.survey_respond, name="survey_respond"),
]

# Evaluation reports and runs (issue 6).
urlpatterns += [
    path("", report_views.home, name="home"),
    path("reports/<int:program_id>/", report_views.report, name="report"),
    path("reports/<int:program_id>/run/", report_views.run_request, name="run_request"),
    path("runs/<int:run_id>/status/", report_views.run_status, name="run_status"),
    path("runs/<int:run_id>/compute-now/", report_views.run_now, name="run_now"),
]

# Import bundles (issue 7).
from . import import_views  # noqa: E402

urlpatterns += [
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/<str:token>/", import_views.import_status, name="import_status"),
    path("import/<str:token>/confirm/", import_views.import_confirm, name="import_confirm"),
]

# Exports (issue 7).
from . import export_views  # noqa: E402

urlpatterns += [
    path("exports/", export_views.exports, name="exports"),
    path(
        "exports/<int:program_id>/download/",
        export_views.export_download,
        name="export_download",
    ),
    path(
        "exports/report/<int:run_id>/<slug:fmt>/",
        export_views.report_export,
        name="report_export",
    ),
    path("exports/jobs/<str:token>/", export_views.export_status, name="export_status"),
    path("exports/file/<str:signed>/", export_views.export_file, name="export_file"),
]
