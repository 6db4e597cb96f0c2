"""Write services for what a person sets for themselves."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from apps.accounts.models import UserProfile


def user_language_set(*, user: AbstractBaseUser | AnonymousUser, language: str) -> None:
    """Remember the language a signed-in user chose, for the emails they are sent; others are ignored."""
    if not user.is_authenticated or language not in dict(settings.LANGUAGES):
        return
    UserProfile.objects.update_or_create(user_id=user.pk, defaults={"language": language})
