from django.db import models
from django.utils.translation import gettext_lazy as _


class DataSource(models.TextChoices):
    """Where an activity datum and its factor come from (values shared with the engine)."""

    MEASURED_PRIMARY = "measured_primary", _("Measured primary data")
    SUPPLIER_SPECIFIC = "supplier_specific", _("Supplier-specific data")
    SECONDARY_DEFAULT = "secondary_default", _("Secondary default")


class DeclaredUnit(models.TextChoices):
    PIECE = "piece", _("piece")


class SystemBoundary(models.TextChoices):
    CRADLE_TO_GATE = "cradle_to_gate", _("Cradle to gate (partial CFP)")


class StudyStatus(models.TextChoices):
    # Submit/review comes in a later issue; the states are named now so data need not migrate.
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned for changes")


class TransportMode(models.TextChoices):
    ROAD_LIGHT = "road_light", _("Road, light truck or van")
    ROAD_HEAVY = "road_heavy", _("Road, heavy goods vehicle")
    RAIL = "rail", _("Rail")
    SEA = "sea", _("Sea")
    AIR = "air", _("Air")
