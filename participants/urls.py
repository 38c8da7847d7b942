from django.urls import path

from . import views

app_name = "participants"
urlpatterns = [
    path("", views.participant_list, name="list"),
    path("new/", views.participant_create, name="create"),
    path("<int:pk>/", views.participant_detail, name="detail"),
    path("<int:pk>/edit/", views.participant_edit, name="edit"),
    path("<int:pk>/delete/", views.participant_delete, name="delete"),
    path("<int:pk>/erase/", views.participant_erase, name="erase"),
    path("erasures/", views.erasure_list, name="erasure_list"),
    path("erasures/<int:pk>/", views.erasure_decide, name="erasure_decide"),
    path("retention/", views.retention, name="retention"),
    path("<int:pk>/consents/new/", views.consent_add, name="consent_add"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("<int:pk>/enroll/", views.participant_enroll, name="enroll"),
    path("<int:pk>/referrals/new/", views.referral_add, name="referral_add"),
    path("referrals/<int:pk>/edit/", views.referral_edit, name="referral_edit"),
    path("cohorts/<int:pk>/enrollments/", views.cohort_enrollments, name="cohort_enrollments"),
    path("enrollments/<int:pk>/withdraw/", views.enrollment_withdraw, name="enrollment_withdraw"),
    path("enrollments/<int:pk>/date/", views.enrollment_redate, name="enrollment_redate"),
    path("enrollments/<int:pk>/complete/", views.enrollment_complete, name="enrollment_complete"),
    path("enrollments/<int:pk>/promote/", views.enrollment_promote, name="enrollment_promote"),
    path("partners/", views.partner_list, name="partner_list"),
    path("partners/new/", views.partner_create, name="partner_create"),
    path("partners/<int:pk>/edit/", views.partner_edit, name="partner_edit"),
]
