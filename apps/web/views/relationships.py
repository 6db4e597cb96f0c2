"""(being built: issue 6, footprint requests and review)"""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
