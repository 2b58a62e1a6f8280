"""Routes of the quotes app, split by topic: catalog, quote editor, sharing and acceptance."""

from quotes.urls import catalog, editor, share

app_name = "quotes"

urlpatterns = [*catalog.urlpatterns, *editor.urlpatterns, *share.urlpatterns]
