"""A LocalStack Lambda runtime executor that runs Python handlers as processes on the host.

LocalStack (community) runs Lambda functions only in Docker containers. This executor is selected
with ``LAMBDA_RUNTIME_EXECUTOR=harness-host-python`` and runs each execution environment as one
local process of LocalStack's own Python: AWS's Runtime Interface Client (``awslambdaric``) loads the
handler from the function's unpacked code and talks to a Lambda Runtime API that this executor serves
for that environment on 127.0.0.1. LocalStack's Lambda service still does everything else (invoke,
event source mapping polling, async retries, SNS delivery).

Modules: :mod:`.plugin` (the entry point), :mod:`.executor` (LocalStack's ``RuntimeExecutor``),
:mod:`.runtime_api` (the Runtime API of one environment), :mod:`.processes` (spawning, the lifeline,
stopping), :mod:`.runtime_site` (what the handler can import besides its own code) and
:mod:`.bootstrap` (the first code run in a handler process; stdlib only).
"""

PLUGIN_NAME = "harness-host-python"
#: In the command line of every handler process (with LocalStack's pid and the environment id), so a
#: process this executor started can be told from any other one (``pgrep -af harness-lambda-runtime``).
PROCESS_MARKER = "harness-lambda-runtime"
