"""Local time of a workspace (DESIGN.md "Local time, language, sender"): its zone, and the local
date of a moment. Legally relevant dates (issue date, service period, VAT period) are the MSP's
local dates: German business uses the statutory time, CET/CEST (§§1, 4 EinhZeitG)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils import formats, timezone

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


def today_in(workspace) -> date:
    """The workspace's local date now: the date a quote, push or check made now carries."""
    return local_date(workspace, timezone.now())


def workspace_time(workspace):
    """Render times in the workspace's zone for the block (mails, PDFs, CSVs and tasks built
    outside a request; requests get it from ``WorkspaceTimeMiddleware``)."""
    return timezone.override(workspace.zone)


def zone_abbreviation(moment: datetime) -> str:
    """The zone's short name at ``moment`` (CET, CEST, EST; "UTC+04" where the zone has no
    letters), so a time shown with it is unambiguous."""
    name = moment.tzname() or "UTC"
    if name[:1] in "+-":
        hours, minutes = name[1:3], name[3:5]
        name = f"UTC{name[0]}{hours}" + (f":{minutes}" if minutes and minutes != "00" else "")
    return name


def stamp(moment: datetime | None, fmt: str = "SHORT_DATETIME_FORMAT") -> str:
    """``moment`` in the active zone, in the active language's format, followed by the zone's
    abbreviation: "07.12.2026, 15:52 CET"."""
    if moment is None:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return f"{formats.date_format(local, fmt)} {zone_abbreviation(local)}"


def workspace_stamp(workspace, moment: datetime | None, fmt: str = "SHORT_DATETIME_FORMAT") -> str:
    """``stamp`` in the workspace's zone, for text built outside its requests (mails, tasks)."""
    with workspace_time(workspace):
        return stamp(moment, fmt)
