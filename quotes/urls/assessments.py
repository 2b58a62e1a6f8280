from django.urls import path

from quotes.views import assessments as views

A = "assessments/<uuid:assessment_id>/"
F = A + "findings/<uuid:finding_id>/"
QN = "assessments/questionnaire/"

urlpatterns = [
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/new/", views.assessment_create, name="assessment_create"),
    path(QN, views.questionnaire, name="questionnaire"),
    path(QN + "categories/new/", views.category_create, name="category_create"),
    path(QN + "categories/<uuid:category_id>/", views.category_edit, name="category_edit"),
    path(QN + "questions/new/", views.question_create, name="question_create"),
    path(QN + "questions/<uuid:question_id>/", views.question_edit, name="question_edit"),
    path(
        QN + "questions/<uuid:question_id>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    path(A, views.assessment_detail, name="assessment_detail"),
    path(A + "answers/", views.answers_save, name="assessment_answers"),
    path(A + "status/", views.assessment_status, name="assessment_status"),
    path(A + "findings/new/", views.finding_add, name="finding_add"),
    path(F, views.finding_edit, name="finding_edit"),
    path(F + "photo/", views.finding_photo, name="finding_photo"),
    path(A + "quote/", views.quote_from_findings, name="quote_from_findings"),
    path(A + "report/", views.report, name="assessment_report"),
    path(A + "reports/<uuid:report_id>/", views.report_download, name="assessment_report_pdf"),
]
