"""The Locust users of a load run and the worker process around them (imported only after gevent's
monkey patching: :mod:`harness.load_agent` imports Locust first).

Locust's master spreads ``workers`` producer and ``workers`` consumer users over the workers, one
of each per worker (producers have a fixed count and are dispatched first, one per worker in
turn; the consumers follow in the same turn); each user starts its worker's half of the kit's pipeline
(:class:`~harness.load.worker.WorkerPipeline`) and then only keeps Locust informed.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Sequence

import gevent
from locust import User, constant, task
from locust.env import Environment

from harness.errors import HarnessError
from harness.load.plan import LoadPlan
from harness.load.worker import REPORT_INTERVAL_SECONDS, WorkerPipeline
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.scenario.format.model import Scenario
from harness.settings import Settings

log = logging.getLogger(__name__)

PLAN, STOP, REPORT = "harness_plan", "harness_stop", "harness_report"


class _Current:
    pipeline: WorkerPipeline | None = None


class ProducerUser(User):
    """Publishes this worker's share of every stream (the kit's send pool, on the shared schedule)."""

    fixed_count = 1
    wait_time = constant(REPORT_INTERVAL_SECONDS)

    def on_start(self) -> None:
        if _Current.pipeline is not None:
            _Current.pipeline.start_producing()

    @task
    def keep_going(self) -> None:
        """The pool sends on its own threads; the user only lives as long as the run."""


class ConsumerUser(User):
    """Receives, verifies and acknowledges on every queue of the plan (the kit's receiver pools)."""

    weight = 1  # not fixed: dispatched after the producers, so the workers' cycle gives each worker one
    wait_time = constant(REPORT_INTERVAL_SECONDS)

    def on_start(self) -> None:
        if _Current.pipeline is not None:
            _Current.pipeline.start_consuming()

    @task
    def keep_going(self) -> None:
        """As for the producer: the receiver pools work on their own."""


USER_CLASSES: list[type[User]] = [ProducerUser, ConsumerUser]


def run_worker(settings: Settings, scenarios: Sequence[Scenario], run_id: str, master_host: str, master_port: int) -> int:
    """A Locust worker: connect, wait for the plan, run the pipeline until the master says stop,
    report a last time, leave when the master quits (or SIGTERM: stop, report, quit)."""
    manifest = Manifest.load(run_id, settings)
    sessions = Sessions.for_manifest(manifest)
    env = Environment(user_classes=USER_CLASSES)
    runner = env.create_worker_runner(master_host, master_port)

    def event(kind: str, name: str, ms: float, length: int) -> None:
        env.events.request.fire(request_type=kind, name=name, response_time=ms, response_length=length, exception=None, context={})

    def on_plan(msg, **_kw) -> None:  # noqa: ANN001 - Locust's message
        try:
            plan = LoadPlan.from_message(msg.data, scenarios)
            if manifest.run_id != plan.run_id:
                raise HarnessError(f"the master runs {plan.run_id}, this worker was given run {manifest.run_id}")
        except HarnessError as err:  # this worker cannot take part: it leaves (the master records it as gone)
            log.error("%s", err)
            gevent.spawn(runner.quit)
            return
        _Current.pipeline = WorkerPipeline(plan, runner.worker_index, manifest, sessions, event)
        gevent.spawn(report_loop)

    def report_loop() -> None:
        while _Current.pipeline is not None and not _Current.pipeline.stopped:
            gevent.sleep(REPORT_INTERVAL_SECONDS)
            if _Current.pipeline is not None and not _Current.pipeline.stopped:
                runner.send_message(REPORT, _Current.pipeline.report())

    def stop_and_report() -> None:
        pipeline = _Current.pipeline
        if pipeline is None or pipeline.stopped:
            return
        pipeline.stop()
        runner.send_message(REPORT, pipeline.report(final=True))

    def on_stop(msg, **_kw) -> None:  # noqa: ANN001 - Locust's message
        stop_and_report()

    def on_sigterm() -> None:
        stop_and_report()
        time.sleep(0.5)  # let the last report leave before the socket closes
        runner.quit()

    runner.register_message(PLAN, on_plan)
    runner.register_message(STOP, on_stop, concurrent=True)
    gevent.signal_handler(signal.SIGTERM, lambda: gevent.spawn(on_sigterm))
    runner.greenlet.join()
    return 0
