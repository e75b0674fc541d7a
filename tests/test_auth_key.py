"""認証キー on the contractor's side: showing it (audited, never stored or logged in plain) and re-issuing it."""

from __future__ import annotations

import json

from tests.support.api import DISPLAY_KEY, UNKNOWN_NUMBER, events_of, issue, reissue, show_key, verify, wrong_key_for
from tests.support.stored import stored_key


def test_own_contractor_sees_its_key_and_the_showing_is_audited_without_it(api):
    number = issue(api)
    shown = api.get(f"/v1/certificates/{number}/auth-key", user="demo-contractor-1")
    assert shown.status_code == 200, shown.json_body
    key = shown.json_body["auth_key"]
    assert DISPLAY_KEY.fullmatch(key), key
    assert shown.json_body["contract_number"] == number
    # Showing again re-displays the same key (it is kept encrypted, not regenerated).
    assert show_key(api, number) == key

    events = events_of(api, number)
    shown_events = [e for e in events if e["type"] == "key_shown"]
    assert len(shown_events) == 2
    for event in shown_events:
        assert event["actor"] == "demo-contractor-1"
        assert event["role"] == "contractor"
        assert event["org_id"] == "contractor-1"
        assert event["result"] == "ok"
        assert event["request_id"]
    assert shown_events[0]["request_id"] != shown_events[1]["request_id"]
    trail = json.dumps(events, ensure_ascii=False)
    assert key not in trail and key.replace("-", "") not in trail


def test_key_is_only_for_its_own_contractor(api):
    electronic = issue(api)
    paper = issue(api, delivery="paper")

    for route in ("auth-key", "auth-key/reissue"):
        method = api.get if route == "auth-key" else api.post

        own_paper = method(f"/v1/certificates/{paper}/{route}", user="demo-contractor-1")
        assert own_paper.status_code == 404, own_paper.json_body
        assert own_paper.json_body["code"] == "auth_key_not_available"

        unknown = method(f"/v1/certificates/{UNKNOWN_NUMBER}/{route}", user="demo-contractor-2")
        assert unknown.status_code == 404
        for number in (electronic, paper):
            foreign = method(f"/v1/certificates/{number}/{route}", user="demo-contractor-2")
            assert foreign.status_code == 404
            assert foreign.json_body == unknown.json_body
            assert foreign.headers.get("Content-Type") == unknown.headers.get("Content-Type")

        for user in ("demo-sakaiminato", "demo-pref", "demo-surety"):
            refused = method(f"/v1/certificates/{electronic}/{route}", user=user)
            assert refused.status_code == 403, (user, refused.json_body)
            assert refused.json_body["code"] == "forbidden"
            assert "auth_key" not in refused.json_body

        anonymous = method(f"/v1/certificates/{electronic}/{route}")
        assert anonymous.status_code == 401
        assert anonymous.json_body["code"] == "unauthorized"

    # None of the refusals showed or changed the key.
    assert [e["type"] for e in events_of(api, electronic)] == ["issued"]
    assert int(stored_key(electronic).generation) == 1


def test_reissue_replaces_the_key_at_once_and_lifts_a_lock(api):
    number = issue(api)
    old = show_key(api, number)
    assert verify(api, number, old).status_code == 200

    new = reissue(api, number)
    assert DISPLAY_KEY.fullmatch(new), new
    assert new != old
    assert show_key(api, number) == new

    unknown = verify(api, UNKNOWN_NUMBER, old)
    stale = verify(api, number, old)
    assert stale.status_code == 404
    assert stale.json_body == unknown.json_body
    fresh = verify(api, number, new)
    assert fresh.status_code == 200, fresh.json_body
    assert fresh.json_body["certificate"]["contract_number"] == number

    events = events_of(api, number)
    reissued = [e for e in events if e["type"] == "key_reissued"]
    assert len(reissued) == 1
    assert reissued[0]["actor"] == "demo-contractor-1"
    assert reissued[0]["role"] == "contractor"
    assert reissued[0]["request_id"]
    assert reissued[0]["detail"] == {"generation": 2}
    trail = json.dumps(events, ensure_ascii=False)
    for key in (old, new):
        assert key not in trail and key.replace("-", "") not in trail

    # Re-issue also lifts a lock (a disabled key: test_verification's twenty-failures test).
    for _ in range(5):
        assert verify(api, number, wrong_key_for(new)).status_code == 404
    locked = verify(api, number, new)
    assert locked.status_code == 429
    assert locked.json_body["code"] == "verification_locked"
    newest = reissue(api, number)
    state = stored_key(number)
    assert (int(state.consecutive_failures), int(state.total_failures), bool(state.disabled)) == (0, 0, False)
    assert state.last_failure_at is None
    assert verify(api, number, newest).status_code == 200
    assert int(stored_key(number).generation) == 3

