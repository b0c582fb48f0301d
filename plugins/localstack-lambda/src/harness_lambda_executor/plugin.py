"""The entry point LocalStack loads (namespace ``localstack.lambda.runtime_executor``).

Kept free of heavy imports: LocalStack's plugin manager imports this module to learn the name; the
executor itself is imported only when LocalStack asks for it."""

from __future__ import annotations

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin

from harness_lambda_executor import PLUGIN_NAME


class HostPythonExecutorPlugin(RuntimeExecutorPlugin):
    name = PLUGIN_NAME

    def load(self, *args: object, **kwargs: object) -> type:
        from harness_lambda_executor.executor import HostPythonRuntimeExecutor

        return HostPythonRuntimeExecutor
