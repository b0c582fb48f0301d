"""Our evaluator against @cloud-copilot/iam-simulate on the corpus of tests/access/cases.py.

For every case: the expected outcome (written by hand), our decision and the oracle's decision must
agree; when both name deciding statements, ours must be one of the oracle's. The whole corpus goes
through one Node process (about a second)."""

from __future__ import annotations

import pytest

from harness.access.evaluate import Decision, Outcome, evaluate
from tests.access import oracle
from tests.access.cases import CASES, Case

ORACLE_NAMES = {Outcome.ALLOWED: "Allowed", Outcome.IMPLICIT_DENY: "ImplicitlyDenied", Outcome.EXPLICIT_DENY: "ExplicitlyDenied"}
RESOURCE_NAME = "resource policy"


def ours(case: Case) -> Decision:
    return evaluate(case.request, case.resource_policy, [p for _, p in case.identity_policies], resource_policy_name=RESOURCE_NAME)


@pytest.fixture(scope="module")
def oracle_results(oracle_ready: None) -> dict[str, oracle.OracleResult]:
    payload = [oracle.to_case(c.request, c.resource_policy, c.identity_policies) for c in CASES]
    results = oracle.run_oracle(payload)
    return {c.id: r for c, r in zip(CASES, results, strict=True)}


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_agrees_with_iam_simulate(case: Case, oracle_results: dict[str, oracle.OracleResult]) -> None:
    theirs = oracle_results[case.id]
    assert theirs.error is None, f"the oracle rejected the case: {theirs.error}"
    assert not theirs.ignored_context_keys, f"the oracle ignored context keys {theirs.ignored_context_keys}"
    mine = ours(case)
    assert ORACLE_NAMES[mine.outcome] == theirs.result, f"ours: {mine}; iam-simulate: {theirs.result} {theirs.deciding}"
    assert mine.outcome is case.expect, f"ours: {mine}; expected {case.expect.value}"
    if mine.statement is not None and theirs.deciding:
        names = {i: n for i, (n, _) in enumerate(case.identity_policies)}
        policy = "resource" if mine.statement.policy == RESOURCE_NAME else names[int(mine.statement.policy.split("#")[1])]
        decisive = {(d["policy"], d["index"]) for d in theirs.deciding}
        assert (policy, mine.statement.index + 1) in decisive, f"ours: {mine.statement}; iam-simulate: {theirs.deciding}"
