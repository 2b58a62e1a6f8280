"""The IT assessment: a per-workspace questionnaire, assessments of customers, their findings,
the quote made from findings and the report PDF."""
