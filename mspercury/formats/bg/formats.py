DATE_FORMAT = SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "d.m.Y H:i"
# Django groups no thousands here; documents write 1 234,50.
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
