"""Forms for third-party verification: a supplier names the body it grants access to, a verifier records its
statement. What the services check (the body exists, the date is not in the future, the file is a PDF
within the size limit) is theirs: their messages are shown at these fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.exchange.enums import AssuranceLevel, VerificationOpinion, VerificationStandard
from apps.exchange.models import VerificationStatement


class GrantForm(forms.Form):
    verifier = forms.CharField(
        label=_("Verification body"),
        max_length=120,
        help_text=_("Its short name or unified social credit code on carbonfoot."),
        error_messages={"required": _("Name the verification body by its short name or unified social credit code.")},
    )


class StatementForm(forms.Form):
    standard = forms.ChoiceField(label=_("Standard"), choices=VerificationStandard.choices)
    assurance_level = forms.ChoiceField(label=_("Level of assurance"), choices=AssuranceLevel.choices)
    scope = forms.CharField(
        label=_("Scope"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was verified: the product, the period, the life-cycle stages and the data checked."),
        error_messages={"required": _("Describe the scope of the verification.")},
    )
    statement_date = forms.DateField(
        label=_("Date of the statement"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Give the date of the statement.")},
    )
    opinion = forms.ChoiceField(label=_("Opinion"), choices=VerificationOpinion.choices)
    opinion_text = forms.CharField(
        label=_("Opinion, as worded in the statement"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Give the opinion as the statement words it.")},
    )
    statement_file = forms.FileField(
        label=_("Statement (PDF)"),
        required=False,
        allow_empty_file=True,  # the service says "The file is empty." at this field
        max_length=VerificationStatement._meta.get_field("statement_file_name").max_length,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )
