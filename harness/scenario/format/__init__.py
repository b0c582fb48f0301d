"""The scenario file format: ``*.scenario.yaml`` → a validated :class:`~.model.Scenario`.

:mod:`.loader` reads a file with :mod:`harness.topology.sourced_yaml` (every value keeps its file,
line and field), checks it against the topology it names, and hands on the frozen model of
:mod:`.model`; the section readers are :mod:`.sends` (``send:``/``sends:``), :mod:`.attributes` and
:mod:`.units` (sizes, durations); each expectation reads its own section
(:mod:`harness.scenario.expectations`). Nothing here sends or judges.
"""
