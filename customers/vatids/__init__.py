"""EU VAT IDs checked against VIES: one VatIdValidation per consultation, the one in force for a
customer on a date, background retries while VIES cannot answer, scheduled re-validation of
reverse-charge customers. See customers/vatids/services.py."""
