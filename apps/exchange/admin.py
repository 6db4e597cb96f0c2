"""The exchange in the platform admin: shown to platform staff, never written there.

Every row here is written by the services of apps.exchange (the workflow keeps its states, events and
notifications consistent); editing one by hand would bypass the state machine, so all are read-only.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.admin_base import ReadOnlyAdminMixin
from apps.exchange.models import (
    ExchangeEvent,
    FootprintRequest,
    Notification,
    ReviewComment,
    Submission,
    SubmissionEvidence,
    SupplyRelationship,
    VerificationGrant,
    VerificationStatement,
)


@admin.register(SupplyRelationship)
class SupplyRelationshipAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("organization", "supplier", "status", "accepted_at", "created_at")
    list_filter = ("status",)
    list_select_related = ("organization", "supplier")
    search_fields = ("organization__name", "supplier__name")


@admin.register(FootprintRequest)
class FootprintRequestAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("organization", "supplier", "product_type", "product_code", "period_start", "due_date", "status")
    list_filter = ("status",)
    list_select_related = ("organization", "supplier")
    search_fields = ("product_type", "product_code", "product_description", "supplier__name")


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("request", "organization", "version", "state", "digest", "created_at")
    list_filter = ("state",)
    list_select_related = ("request", "organization")
    search_fields = ("digest", "organization__name")


@admin.register(ReviewComment)
class ReviewCommentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("submission", "organization", "target", "line_key", "created_at")
    list_select_related = ("submission", "organization")


@admin.register(VerificationGrant)
class VerificationGrantAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("submission", "organization", "verifier", "revoked_at", "created_at")
    list_select_related = ("submission", "organization", "verifier")


@admin.register(VerificationStatement)
class VerificationStatementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("submission", "organization", "standard", "assurance_level", "opinion", "statement_date")
    list_select_related = ("submission", "organization")


@admin.register(ExchangeEvent)
class ExchangeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "organization", "actor", "from_state", "to_state")
    list_filter = ("kind",)
    list_select_related = ("organization", "actor")


@admin.register(SubmissionEvidence)
class SubmissionEvidenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("submission", "organization", "original_name", "attached_to", "sha256")
    list_select_related = ("submission", "organization")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "recipient", "organization", "event", "read_at", "emailed_at")
    list_select_related = ("recipient", "organization", "event")
