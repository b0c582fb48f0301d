"""Policy parsing and the evaluator's refusals: malformed input becomes an actionable error."""

from __future__ import annotations

import pytest

from harness.access import AccessError, PolicyError, Request, evaluate, parse_policy
from harness.errors import HarnessError

Q = "arn:aws:sqs:eu-west-1:222222222222:q"


def one(**statement) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": Q, **statement}]}


def test_loose_grammar_is_normalised() -> None:
    p = parse_policy('{"Statement": {"Sid": "S", "Effect": "Deny", "NotAction": "s3:Get*", "NotResource": "*", "Principal": "*",'
                     ' "Condition": {"Bool": {"aws:SecureTransport": false}, "NumericLessThan": {"k": 3}}}}', "bucket policy")
    (st,) = p.statements
    assert st.label == "S" and st.not_actions == ("s3:Get*",) and st.principals[0].value == "*"
    assert {(c.operator, c.values) for c in st.conditions} == {("Bool", ("false",)), ("NumericLessThan", ("3",))}
    assert parse_policy(None, "queue policy").present is False
    assert parse_policy("  ", "queue policy").statements == ()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "queue policy: not valid JSON"),
        ("[]", "must be a JSON object"),
        ({"Version": "2012-10-17"}, "has no Statement element"),
        (one(Effect="allow"), r'Statement\[0\]: Effect must be "Allow" or "Deny"'),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "neither Action nor NotAction"),
        (one(NotAction="sqs:x"), "Action or NotAction, not both"),
        (one(Principal={"Account": "1"}), "unknown principal type 'Account'"),
        (one(Principal="arn:aws:iam::1:root"), 'Principal must be "\\*" or an object'),
        (one(Action=[]), "Action must not be empty"),
        (one(Condition={"StringEquals": "x"}), "Condition.StringEquals must be an object"),
    ],
)
def test_malformed_policies(document, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(document, "queue policy")


def test_unimplemented_operator_is_named() -> None:
    doc = one(Principal="*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    with pytest.raises(PolicyError, match="'IpAddress' is not implemented by the kit's evaluator"):
        evaluate(Request("222222222222", "sqs:SendMessage", Q), doc)
    with pytest.raises(PolicyError, match="unknown set operator 'ForSome'"):
        evaluate(Request("222222222222", "sqs:SendMessage", Q), one(Principal="*", Condition={"ForSome:StringEquals": {"k": "v"}}))


def test_unimplemented_operator_in_an_unrelated_statement_is_harmless() -> None:
    doc = {"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:DeleteQueue", "Resource": Q, "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        {"Sid": "Send", "Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sqs:SendMessage", "Resource": Q},
    ]}
    decision = evaluate(Request("111111111111", "sqs:SendMessage", Q), doc, [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}])
    assert decision.allowed and decision.statement is not None and decision.statement.sid == "Send"


def test_request_errors_are_actionable() -> None:
    with pytest.raises(AccessError, match="pass resource_account="):
        evaluate(Request("222222222222", "s3:GetObject", "arn:aws:s3:::b/k"), None)
    with pytest.raises(AccessError, match="give a 12-digit account id"):
        evaluate(Request("bob", "sqs:SendMessage", Q), None)
    with pytest.raises(AccessError, match="needs a Principal or NotPrincipal"):
        evaluate(Request("222222222222", "sqs:SendMessage", Q), one())
    with pytest.raises(AccessError, match="must not have a Principal"):
        evaluate(Request("222222222222", "sqs:SendMessage", Q), None, [one(Principal="*")])
    assert issubclass(PolicyError, HarnessError)
