"""``{% missing_particulars request.workspace as missing %}``: what the workspace's legal form
requires on business letters and its settings lack (mspercury.particulars), for the warning
(``documents/_particulars_warning.html``) shown before a document goes to a customer."""

from django import template

from mspercury import particulars

register = template.Library()


@register.simple_tag
def missing_particulars(workspace) -> list[str]:
    return particulars.missing_particulars(workspace) if workspace is not None else []
