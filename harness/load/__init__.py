"""Stage 6¼ — load: scenarios run as a distributed Locust load, judged by the kit.

Takes scenario files and an applied run's manifest, plus a budget (a duration or a message count)
and a number of workers; hands on the same :class:`~harness.scenario.judge.result.ScenarioResult` s as a
scenario run (counts per path, integrity outcomes, latency percentiles from HDR histograms merged
across workers) written by :mod:`harness.report`, plus a ``load`` section (workers, their lost
share, the achieved rate over time).

- :mod:`.plan`: streams, shares, correlation ids and the expectations derived from them (pure);
- :mod:`.worker`: one worker's pipeline — the kit's send and receive pools — and its reports;
- :mod:`.users`: the Locust users and the worker process; :mod:`.master`: the Locust master;
- :mod:`.records`: what workers report; :mod:`.judge`: the verdicts; :mod:`.report`: the files;
- :mod:`.command`: ``harness load`` (the processes start in :mod:`harness.load_agent`).

Nothing here imports Locust at package import: only the agent process does, first.
"""
