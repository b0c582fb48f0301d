"""The scenario runner's pre-send step: access verdicts from the policies applied *now*.

Right before a scenario sends, the resource policies its path touches are read back from the
applied resources (:mod:`harness.access.readback`, through the run's :class:`Sessions`), and every
hop is judged as on AWS (:mod:`harness.access.verdicts`): the sender may publish / send; SNS may
deliver to each expected queue and invoke each expected function (by the topic's ARN), whose role
sends the records of its failed invocations to its on-failure destination; a function fed by a
queue has its execution role receive from it; when the scenario may offload, the sender
may put the payload object and each consumer — a function as its role, judged by the role's own
policies, read back too — may get it (and delete it when it deletes payloads).
Hops are judged over TLS (``aws:SecureTransport`` true) even against LocalStack's plain-HTTP
endpoint: the verdict is about AWS, where the SDKs use HTTPS.

``expect_denied`` entries are judged here too: by the evaluator on LocalStack (which enforces no
policy) and on an AWS-target rehearsal against an endpoint override, by a real call that must be
refused on AWS itself (:mod:`harness.scenario.execute.denial_calls`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.access.deployment import Deployment
from harness.access.kind import access_kinds
from harness.access.matrix import AccessMatrix, access_matrix
from harness.access.paths import Hop
from harness.access.policy import Policy
from harness.access.readback import read_applied
from harness.access.static import rendered_policies
from harness.access.verdicts import AppliedPolicies, HopVerdict, denial_verdict, judge
from harness.provision.clients import ServiceName
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.scenario.execute.denial_calls import DenialOutcome, attempt_denial
from harness.scenario.expectations import ExpectDenied
from harness.scenario.format.model import Scenario
from harness.scenario.format.preflight import scenario_hops  # the same hops validation judges
from harness.topology.model import Topology


def client_for(manifest: Manifest, sessions: Sessions) -> Any:
    """``(service, account id, region) → client`` for :func:`harness.access.readback.read_applied`
    (the run's Sessions are keyed by account *name*: on AWS the name picks the role to assume)."""
    names = {account_id: name for name, account_id in manifest.accounts.items()}

    def make(service: ServiceName, account_id: str, region: str) -> Any:
        return sessions.client(service, names.get(account_id, account_id), region)

    return make


def read_policies(
    manifest: Manifest, sessions: Sessions, arns: Iterable[str] | None = None, principals: Iterable[str] | None = None
) -> AppliedPolicies:
    """The applied policies of the run's resources (only those of ``arns`` when given) and the
    identity policies of its own principals, a function's role (only those of ``principals``)."""
    dep = Deployment.from_manifest(manifest)
    wanted = None if arns is None else set(arns)
    resources = [r for r in dep.applied() if wanted is None or r.arn in wanted]
    clients = client_for(manifest, sessions)
    return AppliedPolicies(read_applied(resources, clients), roles=read_identities(dep, clients, principals))


def read_identities(dep: Deployment, clients: Any, principals: Iterable[str] | None = None) -> dict[str, list[Policy]]:
    """Principal ARN → its identity policies now, for each placed entry that acts itself."""
    wanted = None if principals is None else set(principals)
    out: dict[str, list[Policy]] = {}
    for kind in access_kinds():
        for placed in dep.resources.get(kind.group, {}).values():
            if placed.principal and (wanted is None or placed.principal in wanted):
                out[placed.principal] = kind.read_identity(placed, clients)
    return out


def denial_hop(dep: Deployment, entry: ExpectDenied) -> Hop:
    if entry.action == "deliver" and not entry.function:  # SNS is the caller, not an account
        return dep.delivery_hop(entry.topic or "", entry.queue or "")
    return dep.denial_hop(
        entry.account, entry.action, topic=entry.topic, queue=entry.queue, bucket=entry.bucket, secure_transport=entry.secure_transport,
        function=entry.function,
    )


@dataclass
class AccessCheck:
    """What the pre-send step found: per-hop verdicts and ``expect_denied`` outcomes."""

    hops: list[HopVerdict] = field(default_factory=list)
    denials: list[DenialOutcome] = field(default_factory=list)

    @property
    def refused(self) -> list[HopVerdict]:
        return [v for v in self.hops if not v.ok]

    @property
    def failures(self) -> list[str]:
        """One line per denied hop, then one per ``expect_denied`` entry that was not refused."""
        lines = [f"access denied: {v.line}" for v in self.refused]
        return lines + [d.line for d in self.denials if not d.ok]


def check_access(manifest: Manifest, sessions: Sessions, scenario: Scenario) -> AccessCheck:
    """Judge the scenario's hops and ``expect_denied`` entries against the policies applied now."""
    dep = Deployment.from_manifest(manifest)
    hops: list[Hop] = []
    polls = {name: f.queue for name, f in manifest.functions.items() if f.queue}
    failing = {name: f.on_failure for name, f in manifest.functions.items() if f.on_failure}
    for send in scenario.sends:
        queues = [s.queue for s in manifest.subscriptions if s.topic == send.topic and s.queue]
        invoking = [s.function for s in manifest.subscriptions if s.topic == send.topic and s.function]
        for hop in scenario_hops(dep, scenario, queues, send, invoking, polls, failing):
            if hop not in hops:
                hops.append(hop)
    denial_hops = [(entry, denial_hop(dep, entry)) for entry in scenario.expect_denied]
    arns = {h.policy_arn for h in hops} | {h.policy_arn for _, h in denial_hops}
    principals = {h.request.principal for h in hops} | {h.request.principal for _, h in denial_hops}
    policies = read_policies(manifest, sessions, arns, principals)
    check = AccessCheck(judge(hops, policies))
    for entry, hop in denial_hops:
        judged = denial_verdict(hop, policies)
        if manifest.target == "aws" and not manifest.endpoint_url:
            check.denials.append(attempt_denial(entry, dep, hop, judged, manifest, sessions))
        elif manifest.target == "aws":  # an AWS-target rehearsal against an endpoint override
            note = f" (judged by the evaluator: the endpoint override {manifest.endpoint_url} is not AWS and may enforce nothing)"
            check.denials.append(DenialOutcome.from_verdict(entry, judged, note))
        else:
            check.denials.append(DenialOutcome.from_verdict(entry, judged))
    return check


def outsiders_of(scenarios: Iterable[Scenario], topology_ids: Iterable[str]) -> list[str]:
    """The 12-digit ids ``expect_denied`` entries name that are not accounts of the topology."""
    known = set(topology_ids)
    ids = (d.account for s in scenarios for d in s.expect_denied)
    return list(dict.fromkeys(a for a in ids if a.isdigit() and a not in known))


def applied_matrix(manifest: Manifest, sessions: Sessions, outsiders: Iterable[str] = ()) -> AccessMatrix:
    """Who may do what in an applied run, from the policies read back now (``harness access --run-id``)."""
    return access_matrix(Deployment.from_manifest(manifest), read_policies(manifest, sessions), list(outsiders), manifest.applied_topology())


def static_matrix(topology: Topology, outsiders: Iterable[str] = ()) -> AccessMatrix:
    """Who may do what under the policies the modules would write (``harness access --topology``)."""
    return access_matrix(Deployment.from_topology(topology), rendered_policies(topology), list(outsiders), topology)
