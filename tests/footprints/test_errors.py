from django.utils import translation

from apps.engine.errors import InvalidRunError, NegativeQuantityError
from apps.footprints.errors import engine_error_message


def test_engine_field_names_are_worded_in_chinese():
    error = NegativeQuantityError(line="material/20", label="PCB", field="quantity", value="-1")

    with translation.override("zh-hans"):
        message = engine_error_message(error)

    assert "数量" in message
    assert "quantity" not in message
    assert "-1" in message and "PCB" in message


def test_invalid_run_names_the_reading_and_the_reason_in_english():
    error = InvalidRunError(line="stage/4", label="SMT", run="0", reason="negative_energy", value="-5", reading="17")

    with translation.override("en"):
        message = engine_error_message(error)

    assert message == "SMT (stage/4): reading 17 of run 0 is invalid: energy must not be negative (-5)."
