from django.urls import path

from apps.web import views

app_name = "web"
urlpatterns = [
    path("", views.study_list, name="study-list"),
    path("studies/<int:study_id>/", views.study_detail, name="study-detail"),
]
