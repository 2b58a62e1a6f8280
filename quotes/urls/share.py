from django.urls import path

from quotes.views import share

Q = "quotes/<uuid:quote_id>/"
PUBLIC = "q/<str:token>/"

urlpatterns = [
    # Staff
    path(Q + "share/", share.share_create, name="share_create"),
    path(Q + "share/<uuid:link_id>/revoke/", share.share_revoke, name="share_revoke"),
    path(Q + "accept/", share.quote_accept, name="quote_accept"),
    path(Q + "accepted/", share.accepted_version, name="accepted_version"),
    # The customer's share page (public; the token is the credential)
    path(PUBLIC, share.share_view, name="share_view"),
    path(PUBLIC + "accept/", share.share_accept, name="share_accept"),
    path(PUBLIC + "decline/", share.share_decline, name="share_decline"),
    path(PUBLIC + "accepted/", share.share_accepted, name="share_accepted"),
    path(PUBLIC + "pdf/", share.share_pdf, name="share_pdf"),
    path(PUBLIC + "agreement/", share.share_agreement, name="share_agreement"),
]
