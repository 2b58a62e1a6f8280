from django.urls import path

from quotes.views import documents

Q = "quotes/<uuid:quote_id>/"

urlpatterns = [
    path(Q + "pdf/", documents.quote_pdf, name="quote_pdf"),
    path(Q + "documents/<uuid:document_id>/", documents.document_download, name="quote_document"),
]
