"""What operating the stage does to issued keys: rotating the app secret, and S3 refusing to delete an old
key notice during a reissue (docs/ARCHITECTURE.md, deployment)."""

from __future__ import annotations

import base64
import json
import logging
import secrets

import boto3

from tests.support.api import issue, reissue, show_key, verify
from tests.support.stored import stored_key


def _rotate_app_secret(settings) -> str:
    """What a rotation does: a new version becomes AWSCURRENT, the old one stays readable by id."""
    sm = boto3.client("secretsmanager", region_name=settings.region)
    new = sm.put_secret_value(SecretId=settings.secret_id, SecretBinary=base64.b64encode(secrets.token_bytes(32)))
    from chalicelib.adapters import key_material

    key_material.reset_secret_cache()  # what the hour's cache lifetime does in a running container
    return new["VersionId"]


def test_rotating_the_app_secret_keeps_issued_keys_working_and_new_keys_use_the_new_version(api):
    sm = boto3.client("secretsmanager", region_name=api.account.settings.region)
    first = sm.describe_secret(SecretId=api.account.settings.secret_id)
    first_version = next(v for v, stages in first["VersionIdsToStages"].items() if "AWSCURRENT" in stages)
    number = issue(api)
    old_key = show_key(api, number)
    assert stored_key(number).secret_version == first_version

    second_version = _rotate_app_secret(api.account.settings)
    assert second_version != first_version

    assert verify(api, number, old_key).status_code == 200  # issued before the rotation, still verifies
    later = issue(api)
    assert stored_key(later).secret_version == second_version
    assert verify(api, later, show_key(api, later)).status_code == 200

    new_key = reissue(api, number)
    assert stored_key(number).secret_version == second_version
    assert verify(api, number, new_key).status_code == 200
    assert verify(api, number, old_key).status_code == 404


def test_a_key_notice_s3_will_not_delete_is_logged_and_the_reissue_still_answers(api, caplog):
    """DeleteObjects answers 200 and lists what it could not delete in Errors: those are retried once and
    then logged (by contract number, never the key); the new key is committed and answered all the same."""
    number = issue(api)
    old_key = show_key(api, number)  # makes a key notice under key-notices/<number>/
    from chalicelib.adapters import aws

    s3 = aws.client("s3", api.account.settings.region)
    requested: list[list[dict]] = []

    def remember(params, **_):
        requested.append(list(params["Delete"]["Objects"]))

    def refuse_all(parsed, **_):  # S3's answer for objects it did not delete (e.g. under a legal hold)
        parsed["Errors"] = [{**o, "Code": "AccessDenied", "Message": "Access Denied"} for o in requested[-1]]

    s3.meta.events.register("before-parameter-build.s3.DeleteObjects", remember)
    s3.meta.events.register("after-call.s3.DeleteObjects", refuse_all)
    try:
        with caplog.at_level(logging.ERROR):
            new_key = reissue(api, number)
    finally:
        s3.meta.events.unregister("before-parameter-build.s3.DeleteObjects", remember)
        s3.meta.events.unregister("after-call.s3.DeleteObjects", refuse_all)

    assert len(requested) == 2 and requested[0] == requested[1]  # one retry of what failed
    assert verify(api, number, new_key).status_code == 200
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.contract_number == number
    assert "not deleted" in record.getMessage()
    logged = json.dumps({**record.__dict__, "msg": record.getMessage()}, default=str, ensure_ascii=False)
    for key in (old_key, new_key):
        assert key not in logged and key.replace("-", "") not in logged


def test_reissue_deletes_every_version_of_the_old_key_notices(api):
    number = issue(api)
    show_key(api, number)
    show_key(api, number)  # a second notice request may write the same object again: two versions
    s3 = boto3.client("s3", region_name=api.account.settings.region)
    from chalicelib.adapters import files

    prefix = files.key_notice_prefix(number)
    listed = s3.list_object_versions(Bucket=api.account.settings.bucket, Prefix=prefix)
    assert listed.get("Versions")
    reissue(api, number)
    after = s3.list_object_versions(Bucket=api.account.settings.bucket, Prefix=prefix)
    old = {(v["Key"], v["VersionId"]) for v in listed["Versions"]}
    assert not old & {(v["Key"], v["VersionId"]) for v in after.get("Versions", [])}
    assert not after.get("DeleteMarkers")
