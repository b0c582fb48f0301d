"""Acceptance of topology changes (issue 13): plan, hazards, probe traffic during the apply, verdict.

Stage: after :mod:`harness.report`, before the driver (:mod:`harness.run`). It imports the
foundation, topology, provision, payload, access and scenario stages; never run or cli.

Takes: an applied run's manifest and a NEW topology file. Hands on: a
:class:`~harness.change.outcome.ChangeOutcome` — the resources Terraform creates, updates in place,
replaces and destroys (logical name, account, region), the hazards with what they cost, the
delivery-path and access diffs, per-path probe counts from the change window — and its verdict,
written as change.md / change.json. The driver adds the results of NEW's scenarios.

Modules, earliest first:

- :mod:`~harness.change.plan` — Terraform's JSON plan → changes per logical resource
- :mod:`~harness.change.diff` — delivery-path diff and access diff of two topologies
- :mod:`~harness.change.hazards` — hazards, their cost and their ``--allow`` token
- :mod:`~harness.change.probe` — probe traffic on surviving paths while the change applies
- :mod:`~harness.change.select` — which paths the probe covers, with which attributes and bucket
- :mod:`~harness.change.outcome` — the outcome and its verdict (accepted / rejected, with reasons)
- :mod:`~harness.change.execute` — render NEW into the run's root, plan, apply under probe traffic
- :mod:`~harness.change.report` — change.md and change.json
"""
