DATE_FORMAT = SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "Y-m-d H:i"
# Lithuanian groups thousands with a space (Django: a point): 1 234,50.
THOUSAND_SEPARATOR = "\xa0"
