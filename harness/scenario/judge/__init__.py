"""Judging a scenario: facts in, verdicts and measurements out. Pure: no boto3, no I/O.

:mod:`.facts` are what was sent and what arrived (:class:`~.facts.Sent`,
:class:`~.facts.Delivery`); :mod:`.verdicts` judges them per delivery path into
:mod:`.measure`'s counts and HDR latency histograms; :mod:`.result` holds a scenario's and a run's
results, the input of :mod:`harness.report`.
"""
