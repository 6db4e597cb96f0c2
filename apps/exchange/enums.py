from django.db import models
from django.utils.translation import gettext_lazy as _


class RelationshipStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the supplier")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class RequestStatus(models.TextChoices):
    """A buyer's footprint request (PACT: RequestCreated, then RequestFulfilled or RequestRejected)."""

    OPEN = "open", _("Open")
    DECLINED = "declined", _("Declined by the supplier")
    FULFILLED = "fulfilled", _("Fulfilled (a version was accepted)")


class SubmissionState(models.TextChoices):
    """A submitted version. Before its first submission the study is a draft (StudyStatus.DRAFT)."""

    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    RETURNED = "returned", _("Returned for changes")
    ACCEPTED = "accepted", _("Accepted")
    WITHDRAWN = "withdrawn", _("Withdrawn by the supplier")


class EventKind(models.TextChoices):
    """Everything that happens in an exchange: the timeline, the in-app list and the emails read these."""

    RELATIONSHIP_PROPOSED = "relationship_proposed", _("Supply relationship proposed")
    RELATIONSHIP_ACCEPTED = "relationship_accepted", _("Supply relationship accepted")
    RELATIONSHIP_ENDED = "relationship_ended", _("Supply relationship ended")
    REQUEST_CREATED = "request_created", _("Footprint requested")
    REQUEST_DECLINED = "request_declined", _("Request declined")
    SUBMITTED = "submitted", _("Version submitted")
    REVIEW_STARTED = "review_started", _("Review started")
    COMMENTED = "commented", _("Comment added")
    RETURNED = "returned", _("Returned for changes")
    ACCEPTED = "accepted", _("Accepted")
    WITHDRAWN = "withdrawn", _("Version withdrawn")
    VERIFIER_GRANTED = "verifier_granted", _("Verifier given access")
    VERIFIER_REVOKED = "verifier_revoked", _("Verifier's access revoked")
    VERIFIED = "verified", _("Verification statement recorded")


class CommentTarget(models.TextChoices):
    SUBMISSION = "submission", _("The whole submission")
    MATERIAL = "material", _("A material")
    STAGE = "stage", _("A stage")
    FUEL = "fuel", _("A fuel")
    WASTE = "waste", _("A waste")


class VerificationStandard(models.TextChoices):
    ISO_14067 = "iso_14067", _("ISO 14067:2018")
    ISO_14064_3 = "iso_14064_3", _("ISO 14064-3:2019")
    PAS_2050 = "pas_2050", _("PAS 2050:2011")


class AssuranceLevel(models.TextChoices):
    LIMITED = "limited", _("Limited assurance")
    REASONABLE = "reasonable", _("Reasonable assurance")


class VerificationOpinion(models.TextChoices):
    UNMODIFIED = "unmodified", _("Unmodified (the footprint is fairly stated)")
    MODIFIED = "modified", _("Modified (fairly stated except for the matters described)")
    ADVERSE = "adverse", _("Adverse (not fairly stated)")
