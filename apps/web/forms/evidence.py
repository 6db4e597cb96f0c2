"""The evidence upload form: a file, its kind, a description and what it is attached to.

The target comes either from the page's select (``target`` = "bom_line:12", empty for the study
as a whole) or, from the compact form other pages include (templates/web/evidence/_attach.html),
as two hidden fields ``target_kind`` and ``target_id``. Only the study's own rows are valid
choices; the file itself is checked by the service (size, type by content), whose messages are
shown at the ``file`` field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.evidence.enums import EvidenceKind
from apps.evidence.models import EvidenceFile
from apps.evidence.selectors import EvidenceTargets, target_key

INVALID_CHOICE = _("Select a valid choice. That choice is not one of the available choices.")


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,  # the service says "The file is empty." at this field
        help_text=_("PDF, PNG, JPEG, Excel workbook (.xlsx), CSV or plain text."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.xlsx,.csv,.txt"}),
    )
    kind = forms.ChoiceField(label=_("Kind of evidence"), choices=EvidenceKind.choices, initial=EvidenceKind.INVOICE)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=EvidenceFile._meta.get_field("description").max_length,
    )
    target = forms.ChoiceField(label=_("Attached to"), required=False)
    target_kind = forms.CharField(required=False, widget=forms.HiddenInput)
    target_id = forms.CharField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, targets: EvidenceTargets, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = targets
        target_field = self.fields["target"]
        assert isinstance(target_field, forms.ChoiceField)
        target_field.choices = [("", _("The study as a whole")), *targets.choices]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = (self.data.get("target_kind") or "").strip()
        if kind:
            raw_id = (self.data.get("target_id") or "").strip()
            key = target_key(kind, int(raw_id)) if raw_id.isdigit() else ""
            if not key or self.targets.get(key) is None:
                self.add_error("target", INVALID_CHOICE)
                return cleaned
            cleaned["target"] = key
        key = cleaned.get("target") or ""
        cleaned["target_object"] = self.targets.get(key) if key else None
        return cleaned
