"""Read where things live: the ``accounts:`` and ``regions:`` sections of a topology file."""

from __future__ import annotations

import re

from harness.topology.drafts import AccountDraft, Drafts
from harness.topology.regions import KNOWN_REGIONS
from harness.topology.sourced_yaml import Node, quote, suggest

ACCOUNT_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
ACCOUNT_ID_RE = re.compile(r"\d{12}")
ROLE_ARN_RE = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):role/.+")
EXTERNAL_ID_RE = re.compile(r"[\w+=,.@:/-]{2,1224}")
POLICY_ARN_RE = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,128}")

ACCOUNT_KEYS = ("id", "aws")
AWS_KEYS = ("role_arn", "profile", "external_id", "function_boundary")


def read_accounts(d: Drafts, node: Node) -> None:
    entries = node.mapping(
        hint='write accounts as a mapping of name to account, e.g. accounts: {A: {id: "111111111111"}}'
    )
    if entries is None:
        return
    if not entries:
        node.problem('define at least one account, e.g. accounts: {A: {id: "111111111111"}}')
        return
    d.accounts_known = True
    d.account_names = list(entries)
    ids: dict[str, str] = {}
    for name, value in entries.items():
        draft = AccountDraft(name, value)
        if not ACCOUNT_NAME_RE.fullmatch(name):
            draft.valid_name = False
            value.problem(
                f"{quote(name)} is not a valid account name; use 1-32 letters, digits, '_' or '-' "
                "starting with a letter, e.g. A or Publisher"
            )
        d.accounts[name] = draft
        fields = value.mapping(
            allowed=ACCOUNT_KEYS,
            required=("id",),
            hint=f'write the account as a mapping, e.g. {name}: {{id: "123456789012"}}',
            required_hints={"id": 'add id: "<12-digit account id>", e.g. id: "123456789012"'},
        )
        if fields is None:
            continue
        if "id" in fields:
            draft.id = _account_id(fields["id"])
            draft.id_node = fields["id"]
            if draft.id is not None:
                if draft.id in ids:
                    fields["id"].problem(
                        f"{quote(draft.id)} is already the id of account {ids[draft.id]}; every "
                        "account needs its own id (one logical account per AWS account)"
                    )
                else:
                    ids[draft.id] = name
        if "aws" in fields:
            _aws_access(draft, fields["aws"])


def _account_id(node: Node) -> str | None:
    hint = 'write the id as a quoted 12-digit string, e.g. id: "123456789012"'
    if node.kind == "scalar" and node.tag.endswith(":int"):
        raw = node.raw or ""
        digits = raw.lstrip("+")
        if ACCOUNT_ID_RE.fullmatch(digits):
            node.problem(
                f"{raw} is written as a number, so YAML would drop any leading zeros; quote it: "
                f'id: "{digits}"'
            )
        else:
            node.problem(f"{raw} is written as a number and is not a 12-digit AWS account id; {hint}")
        return None
    value = node.string(hint=hint, what="12-digit AWS account id")
    if value is None:
        return None
    if not ACCOUNT_ID_RE.fullmatch(value):
        node.problem(f"{quote(value)} is not a 12-digit AWS account id; {hint}")
        return None
    return value


def _aws_access(draft: AccountDraft, node: Node) -> None:
    example = (
        f'e.g. aws: {{role_arn: "arn:aws:iam::{draft.id or "123456789012"}:role/e2e-harness"}} '
        "or aws: {profile: my-profile}"
    )
    fields = node.mapping(allowed=AWS_KEYS, hint=f"write how to reach the account on AWS, {example}")
    if fields is None:
        return
    if not fields:
        node.problem(f"is empty; name a role_arn and/or a profile ({example}) or remove aws:")
    if "role_arn" in fields:
        _role_arn(draft, fields["role_arn"])
    if "profile" in fields:
        draft.profile = fields["profile"].string(
            what="AWS profile name", hint="write the name of a profile from ~/.aws/config, e.g. profile: dev"
        )
        if draft.profile is not None and not draft.profile.strip():
            fields["profile"].problem("is blank; write a profile name or remove profile:")
            draft.profile = None
    if "external_id" in fields:
        enode = fields["external_id"]
        ext = enode.string(what="external id", hint='write the external id as a string, e.g. external_id: "e2e-2024"')
        if ext is not None:
            if not EXTERNAL_ID_RE.fullmatch(ext):
                enode.problem(
                    f"{quote(ext)} is not a valid STS external id; use 2-1224 characters from "
                    "letters, digits and +=,.@:/-"
                )
            else:
                draft.external_id = ext
            if "role_arn" not in fields:
                enode.problem("an external id is only used when assuming a role; add role_arn: or remove external_id:")
    if "function_boundary" in fields:
        _function_boundary(draft, fields["function_boundary"])


def _function_boundary(draft: AccountDraft, node: Node) -> None:
    """The managed policy every execution role the kit creates in the account carries as its
    permissions boundary (terraform/bootstrap creates it: its output topology_accounts names it)."""
    example = f"arn:aws:iam::{draft.id or '123456789012'}:policy/e2e-harness-function-boundary"
    arn = node.string(what="IAM policy ARN", hint=f"write the ARN of the boundary policy, e.g. function_boundary: {example}")
    if arn is None:
        return
    m = POLICY_ARN_RE.fullmatch(arn)
    if m is None:
        node.problem(f"{quote(arn)} is not an IAM policy ARN; write arn:aws:iam::<12-digit id>:policy/<name>, e.g. {example}")
        return
    if draft.id is not None and m.group(2) != draft.id:
        node.problem(f"the policy is in account {m.group(2)} but account {draft.name} has id {draft.id}; a permissions boundary "
                     f"must be a policy of the role's own account, e.g. {example}")
        return
    draft.function_boundary = arn


def _role_arn(draft: AccountDraft, rnode: Node) -> None:
    arn = rnode.string(
        what="IAM role ARN",
        hint=f'write a role ARN, e.g. role_arn: "arn:aws:iam::{draft.id or "123456789012"}:role/e2e-harness"',
    )
    if arn is None:
        return
    m = ROLE_ARN_RE.fullmatch(arn)
    if m is None:
        rnode.problem(
            f"{quote(arn)} is not an IAM role ARN; write arn:aws:iam::<12-digit id>:role/<name>, "
            f"e.g. arn:aws:iam::{draft.id or '123456789012'}:role/e2e-harness"
        )
        return
    draft.role_arn, draft.role_node, draft.role_partition = arn, rnode, m.group(1)
    if draft.id is not None and m.group(2) != draft.id:
        rnode.problem(
            f"the role is in account {m.group(2)} but account {draft.name} has id "
            f"{draft.id}; use a role in that account, e.g. "
            f"arn:{m.group(1)}:iam::{draft.id}:role/e2e-harness, or fix the id"
        )


def read_regions(d: Drafts, node: Node) -> None:
    values = node.items(hint="write the regions as a list, e.g. regions: [us-east-1, eu-west-1]")
    if values is None:
        return
    if not values:
        node.problem("is empty; list at least one region, e.g. regions: [us-east-1]")
        return
    d.regions_known = True
    seen: dict[str, int] = {}
    for item in values:
        region = item.string(what="AWS region", hint="write a region code, e.g. us-east-1")
        if region is None:
            continue
        if region in seen:
            item.problem(f"{quote(region)} is listed twice (first at line {seen[region]}); remove the repeat")
            continue
        seen[region] = item.line
        d.listed_regions.append(region)
        d.region_nodes[region] = item
        if region not in KNOWN_REGIONS:
            hint = suggest(region, KNOWN_REGIONS)
            if not hint:
                hint = "; write a region code such as us-east-1, eu-west-1 or ap-southeast-2"
            item.problem(f"{quote(region)} is not a known AWS region{hint}")
            continue
        d.regions.append(region)
