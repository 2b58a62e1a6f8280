"""Routes of the quotes app, split by topic: catalog, quote editor, sharing and acceptance,
stored PDF documents, IT assessments."""

from quotes.urls import assessments, catalog, documents, editor, share

app_name = "quotes"

urlpatterns = [
    *catalog.urlpatterns,
    *editor.urlpatterns,
    *share.urlpatterns,
    *documents.urlpatterns,
    *assessments.urlpatterns,
]
