from django.db import models
from django.utils.translation import gettext_lazy as _


class ReadingSource(models.IntegerChoices):
    # Small integers: this column repeats on hundreds of millions of rows.
    MANUAL = 1, _("Manual entry")
    IMPORT = 2, _("System import")
    METER = 3, _("Energy meter")
