"""The pages. Each views module declares its own ``urlpatterns``; this file only joins them."""

from django.urls import path

from apps.web.views import organizations, studies

app_name = "web"
urlpatterns = [
    path("", studies.study_list, name="study-list"),
    path("studies/<uuid:study_uuid>/", studies.study_detail, name="study-detail"),
    *organizations.urlpatterns,
]
