from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard.views import accounts, codes, overview, requests
from ingest.api import api

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/<int:envelope_id>/", requests.request_detail, name="request"),
    path("requests/<int:envelope_id>/body/", requests.request_body, name="request-body"),
    path("codes/", codes.error_codes, name="codes"),
    path("accounts/", accounts.accounts, name="accounts"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("alerts/", include("dashboard.alerts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
