"""Local time of a workspace (DESIGN.md "Local time, language, sender"): its zone, and the local
date of a moment. Legally relevant dates (issue date, service period, VAT period) are the MSP's
local dates: German business uses the statutory time, CET/CEST (§§1, 4 EinhZeitG)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Each country's zone where it has one (or one that most businesses there keep).
COUNTRY_ZONES = {
    "AT": "Europe/Vienna", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague", "DE": "Europe/Berlin", "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn", "ES": "Europe/Madrid", "FI": "Europe/Helsinki", "FR": "Europe/Paris",
    "GR": "Europe/Athens", "HR": "Europe/Zagreb", "HU": "Europe/Budapest", "IE": "Europe/Dublin",
    "IT": "Europe/Rome", "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "LV": "Europe/Riga",
    "MT": "Europe/Malta", "NL": "Europe/Amsterdam", "PL": "Europe/Warsaw", "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest", "SE": "Europe/Stockholm", "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava", "MC": "Europe/Monaco", "CH": "Europe/Zurich",
    "LI": "Europe/Vaduz", "NO": "Europe/Oslo", "IS": "Atlantic/Reykjavik", "GB": "Europe/London",
    "US": "America/New_York", "CA": "America/Toronto", "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland", "JP": "Asia/Tokyo", "SG": "Asia/Singapore", "IN": "Asia/Kolkata",
}  # fmt: skip


def zone_for_country(country: str) -> str:
    """The default zone name for a country (UTC where none is known)."""
    return COUNTRY_ZONES.get((country or "").upper(), "UTC")


def is_zone(name: str) -> bool:
    return bool(name) and name in _zones()


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


_ZONES: set[str] | None = None


def zone_named(name: str, country: str = "") -> ZoneInfo:
    """The zone ``name``, else the country's default, else UTC."""
    for candidate in (name, zone_for_country(country)):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_moment(workspace, moment: datetime | None) -> datetime | None:
    """``moment`` in the workspace's zone (an aware datetime; naive ones are taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(workspace.zone)


def local_date(workspace, moment: datetime | None) -> date | None:
    """The workspace's local calendar date of ``moment``."""
    local = local_moment(workspace, moment)
    return local.date() if local else None
