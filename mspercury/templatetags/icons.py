"""Inline SVG icons shipped with the project: ``{% icon "bell" %}``.

Glyphs such as the bell or the coloured circles are missing from the fonts that a Debian image
has, and show as empty boxes; an inline SVG draws everywhere, needs no icon font and no CDN, and
takes its colour from the surrounding text (``currentColor``). Presentation attributes only, no
``style`` attribute, so a strict Content-Security-Policy lets them through.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

# 24×24 outlines (stroke) unless marked as filled; drawn for this project.
ICONS = {
    "bell": '<path d="M6 16V11a6 6 0 0 1 12 0v5l2 2H4z"/><path d="M10 20a2 2 0 0 0 4 0"/>',
    "check": '<path d="M5 12.5l4.5 4.5L19 7.5"/>',
    "x": '<path d="M6 6l12 12M18 6L6 18"/>',
    "warning": '<path d="M12 3.5L2.5 20h19z"/><path d="M12 10v4.5M12 17.2v.3"/>',
    "blocked": '<circle cx="12" cy="12" r="9"/><path d="M7.5 12h9"/>',
    "dot": '<circle cx="12" cy="12" r="6" fill="currentColor" stroke="none"/>',
    "chevron-down": '<path d="M6 9.5l6 6 6-6"/>',
    "workspace": '<rect x="4" y="4" width="16" height="16" rx="2"/><path d="M4 10h16M10 10v10"/>',
}


@register.simple_tag
def icon(name: str, label: str = "", css_class: str = "") -> str:
    """The icon ``name``; with ``label`` it is announced to screen readers, else it is hidden."""
    shapes = SafeString(ICONS[name])  # our own constant markup, never user input
    classes = f"icon icon-{name} {css_class}".strip()
    if label:
        opening = format_html('<svg class="{}" role="img" aria-label="{}"', classes, label)
    else:
        opening = format_html('<svg class="{}" aria-hidden="true" focusable="false"', classes)
    return format_html(
        '{} viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" data-icon="{}">{}</svg>',
        opening,
        name,
        shapes,
    )
