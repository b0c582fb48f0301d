"""Provisioning: a validated topology becomes applied resources and a run manifest.

Takes a validated :class:`~harness.topology.model.Topology`, a
:class:`~harness.provision.targets.Target` (the embedded LocalStack or real AWS) and the invocation's
:class:`~harness.settings.Settings`. Renders one Terraform root for the run
(:mod:`~harness.provision.render`, names from :mod:`~harness.provision.naming`, one module call per
entry from each registered kind's ``provision.py``, :mod:`~harness.provision.kind`), applies it
through the Terraform adapter (:mod:`~harness.provision.terraform`, provider from
:mod:`~harness.provision.provider`), and hands on the run record
:class:`~harness.provision.manifest.Manifest` (``.harness/runs/<run-id>/manifest.json``: the
applied topology's snapshot and every entry's placement), which is all later stages read; its
states move along :mod:`~harness.provision.run_state`. ``down`` destroys a run and sweeps what
Terraform's state lost (:mod:`~harness.provision.leftovers`); ``harness sweep`` finds dead runs'
leftovers (:mod:`~harness.provision.sweep`).
"""
