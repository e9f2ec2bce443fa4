from django.urls import path

from obole.api import membership, webhooks

urlpatterns = [
    path("api/obole/v1/membership", membership.show, name="api-membership"),
    path("api/obole/v1/membership/payment_method", membership.payment_method),
    path("api/obole/v1/membership/cancel", membership.cancel),
    path("api/obole/v1/membership/resume", membership.resume),
    path("api/obole/v1/membership/ledger", membership.ledger),
    path("api/obole/v1/webhooks/<slug:provider>", webhooks.receive),
]
