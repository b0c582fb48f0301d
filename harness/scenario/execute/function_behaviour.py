"""Tell a scenario's functions how to treat its messages, before it sends.

A scenario may ask a function to reject its messages a number of times, fail some of them every
time, take a while per message, or delete payloads on acknowledgement (each expectation's
:meth:`~harness.scenario.expectations.base.Expectation.function_behaviour`). What it asks goes into
the function's ``HARNESS_BEHAVIOUR`` environment variable with the scenario's token
(:class:`harness.payload.function_consumer.Behaviour`): it applies to that scenario's messages
only, so it never needs undoing — a later scenario's messages carry another token. The update is
one ``UpdateFunctionConfiguration`` (the other variables kept), waited for until Lambda reports it
done and one empty synchronous invocation has gone through (LocalStack drops an SNS invocation that
arrives while the updated function starts, or while its replaced event poller still long-polls: on
the emulator that poll is waited out first); its next invocations run with it, on AWS as on the
emulator. The module ignores
the variable, so a later ``terraform plan`` does not take it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from harness import retry
from harness.kinds.function.provision import wait_ready, wait_updated
from harness.payload.function_consumer import BEHAVIOUR_ENV, Behaviour
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions


def behaviours(asked: Iterable[tuple[str, dict[str, Any]]], token: str) -> dict[str, Behaviour]:
    """Function → its behaviour for the scenario of ``token`` (several expectations' wishes merged)."""
    merged: dict[str, dict[str, Any]] = {}
    for function, wanted in asked:
        into = merged.setdefault(function, {})
        for name, value in wanted.items():
            into[name] = max(into.get(name, value), value) if not isinstance(value, bool) else into.get(name, False) or value
    return {f: Behaviour(token=token, **w) for f, w in merged.items()}


def set_behaviour(manifest: Manifest, sessions: Sessions, function: str, behaviour: Behaviour) -> bool:
    """Set ``behaviour`` on ``function`` (False: it had it already)."""
    entry = manifest.functions[function]
    lam = sessions.client("lambda", entry.account, entry.region)
    config = retry.call("lambda.GetFunctionConfiguration", lam.get_function_configuration, policy=sessions.retry_policy, FunctionName=entry.arn)
    variables = dict(config.get("Environment", {}).get("Variables", {}))
    wanted = behaviour.to_json()
    if variables.get(BEHAVIOUR_ENV) == wanted:
        return False
    variables[BEHAVIOUR_ENV] = wanted
    retry.call("lambda.UpdateFunctionConfiguration", lam.update_function_configuration, policy=sessions.retry_policy,
               FunctionName=entry.arn, Environment={"Variables": variables})
    wait_updated(lam, entry.arn, sessions.retry_policy)
    wait_ready(lam, entry.arn, sessions.retry_policy, emulator=bool(manifest.endpoint_url))
    return True
