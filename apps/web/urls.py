"""The pages. Each views module declares its own ``urlpatterns``; this file only joins them.

| module | pages |
| --- | --- |
| workspace | dashboard, products, sites, studies (create, edit, copy from an earlier one) |
| results | a study's overview and result, compute from the page, its live status |
| bom | the bill-of-materials grid, custom lines, transport legs, the supplier's own factors |
| stages | the 26 stages: allocation, metered or manual electricity |
| entries | fuel and waste entries |
| evidence | evidence files and the study's timeline |
| organizations | switching the active organization |
| relationships | a buyer's suppliers and a supplier's buyers: propose, accept, end |
| requests | footprint requests: create (buyer), answer or decline (supplier) |
| review | the reviewer's inbox, a submitted version's page, comments and transitions |
| verification | access for a verification body, its statements |
| comparison | accepted footprints side by side for green purchasing, CSV and xlsx |
| notifications | the in-app list of events |
"""

from django.urls import path

from apps.web.views import (
    bom,
    comparison,
    entries,
    evidence,
    notifications,
    organizations,
    relationships,
    requests,
    results,
    review,
    stages,
    studies,
    verification,
    workspace,
)

app_name = "web"
urlpatterns = [
    path("", studies.study_list, name="study-list"),
    path("studies/<uuid:study_uuid>/", studies.study_detail, name="study-detail"),
    *organizations.urlpatterns,
    *workspace.urlpatterns,
    *results.urlpatterns,
    *bom.urlpatterns,
    *stages.urlpatterns,
    *entries.urlpatterns,
    *evidence.urlpatterns,
    *relationships.urlpatterns,
    *requests.urlpatterns,
    *review.urlpatterns,
    *verification.urlpatterns,
    *comparison.urlpatterns,
    *notifications.urlpatterns,
]
