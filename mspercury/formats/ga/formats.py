DATE_FORMAT = SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "d/m/Y H:i"
# Django groups no thousands in Irish; documents write 1,234.50 as in Ireland.
NUMBER_GROUPING = 3
