from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("oauth/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("", include("obole.api.urls")),
    path("", include("obole.web.urls")),
]

handler400 = "obole.web.views.bad_request"
handler403 = "obole.web.views.permission_denied"
handler404 = "obole.web.views.not_found"
handler500 = "obole.web.views.server_error"
