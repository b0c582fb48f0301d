"""Set the filter policies that filter the message body, after an apply.

Provider hashicorp/aws 3.39 has no ``filter_policy_scope`` argument, and SNS refuses a nested
policy while a subscription's scope is still ``MessageAttributes``. The ``subscription`` module
therefore creates a ``MessageBody`` subscription without a policy (and ignores the policy from
then on), and this step sets ``FilterPolicyScope`` and then ``FilterPolicy`` with
``SetSubscriptionAttributes``, as the account that created the subscription, in the topic's region.
Runs after ``harness up`` and after ``harness change`` applies (both read the manifest's
subscriptions). Calls go through :mod:`harness.retry` with the target's after-apply policy.
"""

from __future__ import annotations

import json
from typing import TextIO

from harness import retry
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions

BODY_SCOPE = "MessageBody"


def set_body_filters(manifest: Manifest, out: TextIO | None = None, sessions: Sessions | None = None) -> int:
    """Set scope and policy of every MessageBody subscription of the run; returns how many."""
    pending = [s for s in manifest.subscriptions if s.filter_policy_scope == BODY_SCOPE and s.filter_policy]
    if not pending:
        return 0
    sessions = sessions or Sessions.for_manifest(manifest)
    for sub in pending:
        region = sub.arn.split(":")[3]
        sns = sessions.client("sns", sub.created_by, region)
        for name, value in (("FilterPolicyScope", BODY_SCOPE), ("FilterPolicy", json.dumps(sub.filter_policy, sort_keys=True))):
            retry.call(
                "sns.SetSubscriptionAttributes", sns.set_subscription_attributes, policy=sessions.retry_policy,
                SubscriptionArn=sub.arn, AttributeName=name, AttributeValue=value,
            )
    if out is not None:
        print(f"run {manifest.run_id}: set {len(pending)} message-body filter polic{'y' if len(pending) == 1 else 'ies'}", file=out, flush=True)
    return len(pending)
