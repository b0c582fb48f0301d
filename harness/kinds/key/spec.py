"""``keys:``: customer-managed KMS keys, who may encrypt and who may decrypt with each.

The cross-check here is the one every encrypted resource needs: each ``kms_key`` names a key of the
resource's region, and the key lets every account that uses the resource encrypt / decrypt with
it (each kind says who that is: :meth:`harness.topology.kind.KindSpec.key_uses`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.topology.drafts import Drafts, OwnedDraft
from harness.topology.kind import KindSpec, NameClaim, need, specs
from harness.topology.names import key_module, physical_name
from harness.topology.readers import choices, grantees, owned_entries
from harness.topology.sourced_yaml import Node, quote, suggest

KEY_KEYS = ("account", "region", "encrypt", "decrypt")


@dataclass(frozen=True)
class Key:
    """A customer-managed KMS key. Its own account administers it; other accounts may use it only
    as listed: ``encrypt`` (kms:GenerateDataKey, kms:Encrypt) and ``decrypt`` (kms:Decrypt). SNS
    gets GenerateDataKey/Decrypt, bound by ``aws:SourceArn``, when it delivers into a queue the
    key encrypts (derived from the subscriptions, not written here)."""

    name: str
    account: str
    region: str
    encrypt: tuple[str, ...] = ()
    decrypt: tuple[str, ...] = ()

    def may(self, account: str, use: str) -> bool:
        """Whether ``account`` may ``use`` ("encrypt" or "decrypt") the key."""
        return account == self.account or account in (self.encrypt if use == "encrypt" else self.decrypt)


@dataclass
class KeyDraft(OwnedDraft):
    encrypt: list[str] = field(default_factory=list)
    decrypt: list[str] = field(default_factory=list)


class KeySpec(KindSpec):
    name = "key"
    group = "keys"
    keys = KEY_KEYS
    model = Key
    example = "my-key: {account: A, region: us-east-1, decrypt: [B]}"

    def read(self, d: Drafts, node: Node) -> None:
        for draft, fields in owned_entries(d, node, "key", self.group, KeyDraft, KEY_KEYS):
            if "encrypt" in fields:
                draft.encrypt = grantees(d, fields["encrypt"], draft.account, "key")
            if "decrypt" in fields:
                draft.decrypt = grantees(d, fields["decrypt"], draft.account, "key")

    def cross_check(self, d: Drafts) -> None:
        """Each ``kms_key`` of any kind names a key of the resource's region that lets every account
        using the resource encrypt / decrypt with it (AWS's rules for SSE with a customer key)."""
        for spec in specs():
            for res in spec.owned(d):
                ref = res.kms_key
                if ref is None:
                    continue
                key = d.keys.get(ref.value)
                if key is None:
                    ref.node.problem(f"unknown key {quote(ref.value)}; {choices(d.keys, 'keys')}{suggest(ref.value, d.keys)}")
                    continue
                if res.region and key.region and res.region.value != key.region.value:
                    ref.node.problem(
                        f"key {quote(key.name)} is in {key.region.value} but this {spec.name} is in {res.region.value}; "
                        f"KMS keys are regional and a {spec.name} can only use a key of its own region, so use a key in "
                        f"{res.region.value}"
                    )
                    continue
                for account, use, why in spec.key_uses(res):
                    if key.account and account != key.account.value and account not in getattr(key, use):
                        ref.node.problem(f"key {quote(key.name)} does not let {why} {account} {use}; add {account} to keys.{key.name}.{use}")

    def build(self, draft: KeyDraft, d: Drafts) -> Key:
        return Key(
            name=draft.name,
            account=need(d, draft.account, f"keys.{draft.name}.account").value,
            region=need(d, draft.region, f"keys.{draft.name}.region").value,
            encrypt=tuple(draft.encrypt),
            decrypt=tuple(draft.decrypt),
        )

    def claims(self, draft: KeyDraft, d: Drafts) -> list[NameClaim]:
        if not draft.valid_name:
            return []
        who = f"key {quote(draft.name)}"
        return [
            NameClaim(who, key_module(draft.name), "Terraform module", draft.node),
            NameClaim(who, physical_name("<run-id>", draft.name), "KMS key alias", draft.node),
        ]


PART = KeySpec()
