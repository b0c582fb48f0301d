"""Stage 1, topology: topology files → a validated :class:`~harness.topology.model.Topology`.

Takes a topology YAML file (see ``scenarios/reference.topology.yaml``) and hands on a frozen model
in which every name resolves, every cross-account and cross-region rule holds and every logical
name maps one-to-one onto the Terraform and physical names provisioning will use; or raises
:class:`~harness.errors.InputFileError` with every problem as ``file:line: field: message``.

* :mod:`~harness.topology.loader` — ``load_topology(path)`` / ``validate_topology(root)``;
* :mod:`~harness.topology.sourced_yaml` — YAML whose values keep file, line and field (also used
  by the scenario loader): document parsing here, the typed readers of a value in
  :mod:`~harness.topology.sourced_node`, problem collection and wording in
  :mod:`~harness.topology.problems`;
* :mod:`~harness.topology.read_accounts`, :mod:`~harness.topology.read_resources` and
  :mod:`~harness.topology.readers` — section and field readers filling
  :mod:`~harness.topology.drafts`;
* :mod:`~harness.topology.filter_policy` — SNS filter-policy rules;
* :mod:`~harness.topology.cross_checks` — checks across sections;
* :mod:`~harness.topology.build` — drafts → model (:mod:`~harness.topology.model`);
* :mod:`~harness.topology.names` — identifier folding and physical names, shared with provisioning;
* :mod:`~harness.topology.regions` — the regions a topology may name, by partition.

Nothing here imports from a later stage (provision, payload, scenario, report, the driver).
"""
