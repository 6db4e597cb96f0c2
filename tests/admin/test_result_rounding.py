"""The admin's snapshot pages show numbers people read: four significant digits (the row keeps all 50)."""

from __future__ import annotations

from django.urls import reverse

from apps.footprints.models import FootprintResult
from tests import factories
from tests.web.builders import BREAKDOWN, TOTALS, make_result

LONG = "1.2151672333333333333333333333333333333333333333333"


def test_the_result_pages_round_what_the_row_keeps_in_full(admin_client, supplier, library):
    study = factories.make_study(supplier, library)
    breakdown = [{**BREAKDOWN[0], "emission": "0.88000000000000000000000000000000000000000000000001"}, *BREAKDOWN[1:]]
    result = make_result(
        study, totals={**TOTALS, "e": LONG}, breakdown=breakdown, primary_data_share="0.268123412341234123412341234"
    )

    change = admin_client.get(reverse("admin:footprints_footprintresult_change", args=[result.pk]))
    listing = admin_client.get(reverse("admin:footprints_footprintresult_changelist"))

    assert change.status_code == 200 and listing.status_code == 200
    page, rows = change.content.decode(), listing.content.decode()
    assert "<tr><th>E</th><td>1.215</td></tr>" in page
    assert "<td>bom/1</td>" in page and "<td>0.88</td>" in page
    assert "26.8 %" in page
    assert '<td class="field-total_e">1.215</td>' in rows
    for html in (page, rows):
        assert "1.2151672" not in html
        assert "0.268123" not in html
        assert "0000000001" not in html
    assert FootprintResult.objects.get(pk=result.pk).totals["e"] == LONG
