from django.urls import path

from quotes.views import editor

Q = "quotes/<uuid:quote_id>/"
LINE = Q + "lines/<uuid:line_id>/"

urlpatterns = [
    path("quotes/", editor.quote_list, name="quote_list"),
    path("quotes/new/", editor.quote_create, name="quote_create"),
    path("quotes/new/projects/", editor.project_options, name="project_options"),
    path(Q, editor.quote_detail, name="quote_detail"),
    path(Q + "details/", editor.quote_update, name="quote_update"),
    path(Q + "status/", editor.quote_status, name="quote_status"),
    path(Q + "lines/", editor.line_add, name="line_add"),
    path(Q + "lines/form/", editor.line_add_form, name="line_add_form"),
    path(Q + "package/", editor.package_apply, name="package_apply"),
    path(LINE, editor.line_row, name="line_row"),
    path(LINE + "edit/", editor.line_edit, name="line_edit"),
    path(LINE + "delete/", editor.line_delete, name="line_delete"),
    path(LINE + "move/", editor.line_move, name="line_move"),
]
