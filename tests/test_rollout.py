"""Rolling new indexes out to a deployed stage (scripts/infra.py `--rollout-step`): each step adds at most one global
secondary index per table, as CloudFormation requires, step 0 is the tables before and the last step is the template
(docs/ARCHITECTURE.md, deployment)."""

from __future__ import annotations

from typing import Any


def _indexes(template: dict[str, Any]) -> dict[str, set[str]]:
    return {name: {i["IndexName"] for i in r["Properties"].get("GlobalSecondaryIndexes", [])}
            for name, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}


def test_every_step_adds_at_most_one_index_per_table_and_the_last_is_the_template():
    from scripts.infra import ROLLOUT_INDEXES, resources_template, rollout_steps, rollout_template

    steps = [rollout_template(k) for k in range(rollout_steps() + 1)]
    assert steps[-1] == resources_template()
    for before, after in zip(steps, steps[1:], strict=False):
        for table, names in _indexes(after).items():
            assert names >= _indexes(before)[table] and len(names - _indexes(before)[table]) <= 1, table
    assert _indexes(steps[0])["GuaranteesTable"] == {"by-contractor"}  # as before issue 20
    assert _indexes(steps[0])["VerificationsTable"] == _indexes(steps[0])["ContractorsTable"] == set()
    for table in ROLLOUT_INDEXES:  # every listed index exists, each once
        assert len(set(ROLLOUT_INDEXES[table])) == len(ROLLOUT_INDEXES[table])
    for template in steps:  # no attribute definition that no key uses (CloudFormation refuses one)
        for resource in template["Resources"].values():
            if resource["Type"] != "AWS::DynamoDB::Table":
                continue
            properties = resource["Properties"]
            used = {k["AttributeName"] for k in properties["KeySchema"]} | {
                k["AttributeName"] for i in properties.get("GlobalSecondaryIndexes", []) for k in i["KeySchema"]}
            assert {d["AttributeName"] for d in properties["AttributeDefinitions"]} == used


def test_the_command_writes_one_step(tmp_path):
    import json

    from scripts.infra import main, rollout_template

    out = tmp_path / "rollout-1.json"
    assert main(["--rollout-step", "1", "--output", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == rollout_template(1)
