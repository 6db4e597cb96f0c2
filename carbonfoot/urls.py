from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# The admin is carbonfoot's platform administration, in the user's language, not "Django administration".
admin.site.site_header = _("carbonfoot administration")
admin.site.site_title = _("carbonfoot administration")
admin.site.index_title = _("Platform data")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("apps.web.urls")),
]
