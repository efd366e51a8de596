from django import template

from inbound.models import PhoneNumber
from inbound.stats import panel

register = template.Library()


@register.inclusion_tag("inbound/_panel.html")
def inbound_panel() -> dict:
    """Today's inbound figures for the managers' home page; nothing when there are no numbers."""
    if not PhoneNumber.objects.exists():
        return {"show": False}
    return {"show": True, "figures": panel()}
