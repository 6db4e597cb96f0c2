from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    SUPPLIER = "supplier", _("Equipment supplier")
    BUYER = "buyer", _("Buyer (grid procurement)")
    VERIFIER = "verifier", _("Verification body")


class Role(models.TextChoices):
    """What a member may do inside their organization."""

    MANAGER = "manager", _("Manager")  # manages members and studies
    EDITOR = "editor", _("Data editor")  # supplier staff entering activity data
    REVIEWER = "reviewer", _("Procurement reviewer")  # buyer staff reviewing submissions
    VERIFIER = "verifier", _("Verifier / auditor")  # traces and recomputes, read-only
    VIEWER = "viewer", _("Viewer")


EDITING_ROLES = frozenset({Role.MANAGER, Role.EDITOR})
