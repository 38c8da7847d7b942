from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.program_list, name="program_list"),
    path("new/", views.program_create, name="program_create"),
    path("new/from-template/", views.program_from_template, name="program_from_template"),
    path("<int:pk>/", views.program_detail, name="program_detail"),
    path("<int:pk>/edit/", views.program_edit, name="program_edit"),
    path("cohorts/<int:pk>/contact-access/", views.contact_access_set, name="contact_access"),
    path("closures/", views.closure_list, name="closure_list"),
    path("closures/<int:pk>/delete/", views.closure_delete, name="closure_delete"),
    path("volunteers/", views.volunteer_list, name="volunteer_list"),
    path("volunteers/new/", views.volunteer_create, name="volunteer_create"),
    path("volunteers/<int:pk>/", views.volunteer_detail, name="volunteer_detail"),
    path("volunteers/<int:pk>/edit/", views.volunteer_edit, name="volunteer_edit"),
    path("volunteers/<int:pk>/stage/", views.volunteer_stage, name="volunteer_stage"),
    path("volunteers/<int:pk>/training/", views.training_add, name="training_add"),
    path("volunteers/<int:pk>/supervision/", views.supervision_add, name="supervision_add"),
    path("training/<int:pk>/delete/", views.training_delete, name="training_delete"),
    path("supervision/<int:pk>/delete/", views.supervision_delete, name="supervision_delete"),
]
