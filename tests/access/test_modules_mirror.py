"""harness/kinds/*/access.py must say what terraform/modules/*/main.tf write.

A text-level guard (the policies embed ARNs known only after apply, so Terraform cannot render
them here): every statement block of a module's policy, found by its Sid, must carry our Effect,
actions, principal type and condition operator/key, and the two sides must have the same Sids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.kinds.bucket.access import bucket_policy
from harness.kinds.key.access import key_policy
from harness.kinds.queue.access import queue_policy
from harness.kinds.topic.access import topic_policy
from harness.paths import MODULES_DIR

Q = "arn:aws:sqs:eu-west-1:222222222222:q"
T = "arn:aws:sns:us-east-1:111111111111:t"
BK = "arn:aws:s3:::b"
OURS = {
    "queue": queue_policy(Q, [T], ["111111111111"], ["arn:aws:iam::333333333333:role/hx/f"]),
    "topic": topic_policy(T, ["222222222222"], ["333333333333"], ["444444444444"]),
    "payload-bucket": bucket_policy(BK, ["222222222222"], True, ["111111111111"]),
    "kms": key_policy("444444444444", ["111111111111"], ["222222222222"], [T]),
}


def blocks(module: str) -> dict[str, str]:
    """Sid → the HCL text of its statement object in the module's main.tf."""
    text = (MODULES_DIR / module / "main.tf").read_text()
    out = {}
    for m in re.finditer(r'Sid\s*=\s*"([^"]+)"', text):
        end = text.find("}]", m.end())
        out[m.group(1)] = text[m.start() : end]
    return out


@pytest.mark.parametrize("module", sorted(OURS))
def test_module_policy_mirror(module: str) -> None:
    tf = blocks(module)
    ours = OURS[module]["Statement"]
    assert [s["Sid"] for s in ours] == list(tf), f"statements of terraform/modules/{module} changed: update harness/kinds/*/access.py"
    for st in ours:
        block = tf[st["Sid"]]
        assert f'Effect    = "{st["Effect"]}"' in block or re.search(rf'Effect\s*=\s*"{st["Effect"]}"', block)
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        for action in actions:
            assert f'"{action}"' in block, f"{st['Sid']}: action {action} not in the module"
        principal = st["Principal"]
        if principal == "*":
            assert re.search(r'Principal\s*=\s*"\*"', block)
        else:
            (kind,) = principal
            assert re.search(rf"Principal\s*=\s*{{\s*{kind}\s*=", block), f"{st['Sid']}: principal type {kind}"
            if kind == "Service":
                assert f'"{principal[kind]}"' in block
        for op, keys in st.get("Condition", {}).items():
            for key, value in keys.items():
                assert re.search(rf'{op}\s*=\s*{{\s*"{re.escape(key)}"\s*=', block), f"{st['Sid']}: condition {op} {key}"
                if isinstance(value, str):
                    assert f'"{value}"' in block
        if "Condition" not in st:
            assert "Condition" not in block, f"{st['Sid']}: the module added a condition"


def test_paths_exist() -> None:
    assert all((MODULES_DIR / m / "main.tf").is_file() for m in OURS)
    assert isinstance(MODULES_DIR, Path)


def test_function_role_policy_mirror() -> None:
    """The execution role's identity policy (harness/kinds/function/access.py role_policy, every
    statement present) against terraform/modules/function: same Sids in order, actions, no condition."""
    from harness.kinds.function.access import role_policy

    ours = role_policy("arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f", "arn:aws:sqs:us-east-1:1:r", Q, [BK], [BK],
                       ["arn:aws:kms:us-east-1:1:key/k"], Q, "arn:aws:kms:us-east-1:1:key/q")["Statement"]
    tf = {sid: block for sid, block in blocks("function").items() if sid != "LambdaAssumesRole"}  # the trust policy
    assert [s["Sid"] for s in ours] == list(tf), "statements of terraform/modules/function changed: update harness/kinds/function/access.py"
    for st in ours:
        block = tf[st["Sid"]]
        assert re.search(rf'Effect\s*=\s*"{st["Effect"]}"', block)
        for action in st["Action"] if isinstance(st["Action"], list) else [st["Action"]]:
            assert f'"{action}"' in block, f"{st['Sid']}: action {action} not in the module"
        assert "Condition" not in block and "Principal" not in block
