"""How a postal address is written in its country: the one function every page and PDF uses.

North America, Australia and the UK put the town first and the postcode last ("Cambridge, MA
02139", "London SW1A 1AA"); continental Europe and most others put the postcode first ("10115
Berlin"), with a region, where there is one, after the town.
"""

CITY_FIRST = frozenset({"US", "CA", "AU", "GB"})


def locality_line(postal_code: str, city: str, region: str, country: str) -> str:
    """Postcode, town and region on one line, in the order of ``country``."""
    postal_code, city, region = ((value or "").strip() for value in (postal_code, city, region))
    if (country or "").upper() in CITY_FIRST:
        place = ", ".join(part for part in (city, region) if part)
        return " ".join(part for part in (place, postal_code) if part)
    town = " ".join(part for part in (postal_code, city) if part)
    return ", ".join(part for part in (town, region) if part)


def address_lines(
    *,
    street: str = "",
    street2: str = "",
    postal_code: str = "",
    city: str = "",
    region: str = "",
    country: str = "",
    country_name: str = "",
) -> list[str]:
    """The address as printed, one line each, empty lines left out."""
    lines = [street, street2, locality_line(postal_code, city, region, country), country_name]
    return [line for line in lines if line]
