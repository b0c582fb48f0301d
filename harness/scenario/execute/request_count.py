"""What a scenario cost in API requests, from the run's request counter (:mod:`harness.provision.requests`):
per operation for the scenario, and per path its publishes (shared by the paths one send fans out
to), the receives and deletes of the queue it ends in (a function's path: of the queue its receipts
come through, the harness's only calls there; the function's own polling is Lambda's and not
counted), its empty receives, and its S3 requests."""

from __future__ import annotations

from harness.provision.manifest import Manifest
from harness.provision.requests import Count
from harness.scenario.judge.measure import FUNCTION, PathStats
from harness.scenario.judge.result import ScenarioResult

SEND_OPERATIONS = ("sns.Publish", "sns.PublishBatch", "sqs.SendMessage", "sqs.SendMessageBatch")
RECEIVE_OPERATIONS = ("sqs.ReceiveMessage", "sqs.DeleteMessage", "sqs.DeleteMessageBatch", "sqs.ChangeMessageVisibility",
                      "sqs.ChangeMessageVisibilityBatch")


def _ends_in(manifest: Manifest, stats: PathStats) -> str:
    """The URL of the queue the harness reads the path's end from."""
    key = stats.key
    if key.to_kind == FUNCTION:
        fn = manifest.functions.get(key.queue)
        return fn.receipts_url if fn else ""
    return manifest.queues[key.queue].url if key.queue in manifest.queues else ""


def count_requests(manifest: Manifest, result: ScenarioResult, count: Count, bucket: str = "") -> None:
    """Fill ``result.requests`` and each path's ``requests`` from what ``count`` saw during the scenario."""
    result.requests = {"by_operation": count.by_operation(), "total": sum(count.calls.values()),
                       "empty_receives": sum(count.empty_receives.values())}
    for stats in result.paths:
        kind, _, name = stats.key.via.partition(":")
        source = manifest.topics[name].arn if kind == "topic" and name in manifest.topics else (
            manifest.queues[name].url if name in manifest.queues else "")
        queue = _ends_in(manifest, stats)
        stats.requests = {"publish": count.on(source, SEND_OPERATIONS), "receive": count.on(queue, RECEIVE_OPERATIONS),
                          "empty_receives": count.empty_receives.get(queue, 0), "s3": count.on(bucket) if bucket else 0}
