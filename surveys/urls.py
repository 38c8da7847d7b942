from django.urls import path

from . import instrument_views, views

app_name = "surveys"
urlpatterns = [
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
    path("", views.survey_overview_view, name="survey_overview"),
    path("cohort/<int:cohort_pk>/", views.survey_todo, name="survey_todo"),
    path(
        "cohort/<int:cohort_pk>/enter/<slug:code>/<slug:timepoint>/",
        views.administration_enter,
        name="administration_enter",
    ),
    path("<int:pk>/", views.administration_detail, name="administration_detail"),
    path("<int:pk>/edit/", views.administration_edit, name="administration_edit"),
    path(
        "enrollment/<int:enrollment_pk>/link/",
        views.survey_link_new,
        name="survey_link_new",
    ),
    path("cohort/<int:cohort_pk>/kiosk/", views.kiosk_start, name="kiosk_start"),
    path("cohort/<int:cohort_pk>/kiosk/next/", views.kiosk_next, name="kiosk_next"),
    path("cohort/<int:cohort_pk>/kiosk/answer/", views.kiosk_answer, name="kiosk_answer"),
    path("cohort/<int:cohort_pk>/kiosk/thanks/", views.kiosk_handback, name="kiosk_handback"),
    path("s/done/", views.survey_done, name="survey_done"),
    path("s/<str:token>/", views.survey_respond, name="survey_respond"),
]
