"""Stage 5 — scenarios: a scenario file and an applied run become sends, deliveries and verdicts.

Three rooms, in the order a scenario passes through them:

- :mod:`.format` — the file format: ``*.scenario.yaml`` validated against its topology into the
  frozen :class:`~.format.model.Scenario`;
- :mod:`.execute` — running it against an applied run (the manifest of :mod:`harness.provision`):
  access step, senders, receivers, waiting, the AWS settle step;
- :mod:`.judge` — facts → per-path counts, HDR latency histograms and verdicts: a
  :class:`~.judge.result.ScenarioResult` per scenario for :mod:`harness.report`.

:mod:`.cost` estimates what a scenario would cost on AWS before anything is sent.
"""
