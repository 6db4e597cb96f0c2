from django.db import models
from django.utils.translation import gettext_lazy as _


class EvidenceKind(models.TextChoices):
    """What a file proves (ISO 14067 data quality: where a number comes from)."""

    INVOICE = "invoice", _("Invoice")
    UPSTREAM_CERTIFICATE = "upstream_certificate", _("Upstream supplier's footprint certificate")
    CALIBRATION_RECORD = "calibration_record", _("Meter calibration record")
    BOM_DRAWING = "bom_drawing", _("Bill of materials or drawing")
    OTHER = "other", _("Other")
