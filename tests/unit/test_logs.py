import json
import logging

from chalicelib.logs import JsonFormatter


def _line(**extra):
    record = logging.LogRecord("denshi_hosho.test", logging.INFO, __file__, 1, "verified %s", ("ok",), None)
    for name, value in extra.items():
        setattr(record, name, value)
    return json.loads(JsonFormatter().format(record))


def test_a_log_line_is_json_with_the_allowed_context():
    line = _line(contract_number="2070004426", request_id="r-1", status=200)
    assert line["message"] == "verified ok" and line["level"] == "INFO"
    assert line["contract_number"] == "2070004426" and line["request_id"] == "r-1" and line["status"] == 200
    assert line["time"].endswith("Z")


def test_fields_outside_the_allow_list_never_reach_the_line():
    line = _line(auth_key="ABCDE-FGHJK", url="https://example/?X-Amz-Signature=abc", id_token="eyJ...")
    text = json.dumps(line)
    assert "ABCDE-FGHJK" not in text and "X-Amz-Signature" not in text and "eyJ" not in text
