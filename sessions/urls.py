from django.urls import path

from . import attendance_views, feedback_views, offline_views, views

app_name = "groupsessions"

urlpatterns = [
    path("dashboard/", views.coordinator_dashboard, name="coordinator_dashboard"),
    path("cohorts/", views.cohort_list, name="cohort_list"),
    path("cohorts/new/", views.cohort_create, name="cohort_create"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort_detail"),
    path("cohorts/<int:pk>/edit/", views.cohort_update, name="cohort_update"),
    path("cohorts/<int:pk>/facilitators/", views.cohort_facilitators, name="cohort_facilitators"),
    path("cohorts/<int:pk>/sessions/new/", views.session_add, name="session_add"),
    path("session/<int:pk>/reschedule/", views.session_reschedule, name="session_reschedule"),
    path("session/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("session/<int:pk>/delete/", views.session_delete, name="session_delete"),
    path("session/<int:pk>/log/", views.session_log, name="session_log"),
    path("session/<int:pk>/incident/", views.session_incident, name="session_incident"),
    # Attendance and feedback (sessions/attendance_views.py, sessions/feedback_views.py)
    path("mine/", attendance_views.facilitator_home, name="facilitator_home"),
    path(
        "session/<int:pk>/attendance/",
        attendance_views.attendance_sheet_view,
        name="attendance_sheet",
    ),
    path(
        "session/<int:pk>/attendance/mark/",
        attendance_views.attendance_mark,
        name="attendance_mark",
    ),
    path(
        "session/<int:pk>/attendance/mark-all/",
        attendance_views.attendance_mark_all_view,
        name="attendance_mark_all",
    ),
    path(
        "session/<int:pk>/attendance/save/",
        attendance_views.attendance_save,
        name="attendance_save",
    ),
    path(
        "session/<int:pk>/attendance/print/",
        attendance_views.attendance_print,
        name="attendance_print",
    ),
    path(
        "session/<int:pk>/attendance/keyed/",
        attendance_views.attendance_keyed,
        name="attendance_keyed",
    ),
    # Offline attendance (sessions/offline_views.py)
    path("offline/", offline_views.offline_shell, name="offline_shell"),
    path("offline/sync/", offline_views.offline_sync, name="offline_sync"),
    path("session/<int:pk>/feedback/", feedback_views.feedback_kiosk, name="feedback_kiosk"),
    path(
        "session/<int:pk>/feedback/summary/",
        feedback_views.feedback_session_summary,
        name="feedback_session_summary",
    ),
    path(
        "cohorts/<int:pk>/feedback/",
        feedback_views.feedback_cohort_summary,
        name="feedback_cohort_summary",
    ),
]
