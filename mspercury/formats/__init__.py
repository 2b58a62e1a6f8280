"""One date format per language (FORMAT_MODULE_PATH): the long and short names resolve to the
same pattern, so a page never mixes "03.12.2026" with "3. Dezember 2026". Numbers keep Django's
per-language separators, except where Django groups no thousands (bg, et, ga), groups them
unlike the country (lt) or has no formats at all (mt)."""
