"""Stage 5 — scenarios: a scenario file and an applied run become sends, deliveries and verdicts.

Takes ``*.scenario.yaml`` files (validated against their topology: :mod:`.loader`, :mod:`.read_send`, :mod:`.read_attributes`,
:mod:`.read_denied`, :mod:`.units` → :mod:`.model`) and the run manifest of :mod:`harness.provision`; hands on a
:class:`~.result.ScenarioResult` per scenario (per-path counts and HDR latency histograms,
:mod:`.measure`) for :mod:`harness.report`.

- :mod:`.access_step` judges every hop and ``expect_denied`` entry before sending, from the
  policies read back through :mod:`harness.access`; :mod:`.denial_calls` makes the real calls
  that must be refused on AWS;
- :mod:`.send` paces and publishes (through :mod:`harness.payload`), logging every message sent;
- :mod:`.watch` runs the consumer threads per queue;
- :mod:`.verdicts` judges the facts (:mod:`.facts`) — pure functions, unit-tested without LocalStack;
- :mod:`.runner` orchestrates one scenario; :mod:`.cost` estimates what it would cost on AWS;
- :mod:`.settle` (AWS target, right after an apply, before any scenario): a canary per subscription
  until SNS delivers on each, bounded and logged.
"""
