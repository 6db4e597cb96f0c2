"""The forms of a submitted version's page: a reviewer's comment, and a transition with its optional comment.

Both only carry what was typed: the service decides (apps.exchange.services.comment_add says "Write the
comment." and "This version has no such line."; apps.exchange.workflow.submission_transition says what a
transition needs), and its messages are put at the field they concern.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TRANSITION_ACTIONS = ("start_review", "return", "accept", "withdraw")


class CommentForm(forms.Form):
    line = forms.CharField(label=_("About"), required=False, max_length=80)
    body = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: object, lines: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [("", _("The whole submission")), *lines]
        self.fields["line"].widget = forms.Select(choices=choices)


class TransitionForm(forms.Form):
    action = forms.CharField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError at the form's fields (``line`` and ``body``); anything else above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)
