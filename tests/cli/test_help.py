"""Issue 10 item 10: ``harness --help`` and every command's help read like documentation — what
the command does, every option with its default, the environment variables it honours, and two or
three examples that are themselves valid command lines."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest

from harness.cli.help import COMMANDS, ENVIRONMENT
from harness.cli.parser import build_parser
from harness.settings import ENV_VARS
from tests.cli.conftest import REPO, harness

PARSER = build_parser()
SUB = next(a for a in PARSER._actions if isinstance(a, argparse._SubParsersAction))


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]


def _shown_default(action: argparse.Action) -> str | None:
    """The text the help must contain for the action's default (None: only the word 'default')."""
    d = action.default
    if isinstance(d, bool) or d is None or d == []:
        return None
    if isinstance(d, float):
        return f"default: {d:g}"
    if isinstance(d, str) and Path(d).is_absolute():
        return f"default: {Path(d).relative_to(REPO)}"
    return f"default: {d}"


def test_every_command_has_help_texts() -> None:
    assert set(SUB.choices) == set(COMMANDS), "a command without harness.cli.help texts, or texts without a command"


@pytest.mark.parametrize("name", sorted(SUB.choices))
def test_every_option_names_its_default(name: str) -> None:
    for action in _options(SUB.choices[name]):
        text = action.help or ""
        if action.required:
            assert "required" in text, (name, action.option_strings, text)
            continue
        assert "default" in text, (name, action.option_strings, text)
        wanted = _shown_default(action)
        if wanted is not None:
            assert wanted in text, (name, action.option_strings, text, wanted)
        if isinstance(action, argparse._StoreTrueAction):
            assert "(default: off" in text, (name, action.option_strings, text)


def _examples(help_text: str) -> list[str]:
    block = help_text.split("\nexamples:\n", 1)[1].split("\n\n", 1)[0]
    joined = block.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip()]


def _argv(example: str) -> list[list[str]]:
    """The harness invocations of one example line (``&&`` chains; comments and VAR=value dropped)."""
    out = []
    for part in example.split("#", 1)[0].split("&&"):
        words = [w for w in shlex.split(part) if "=" not in w or w.startswith("-")]
        assert words and words[0] == "harness", example
        out.append(words[1:])
    return out


@pytest.mark.parametrize("name", ["", *sorted(SUB.choices)])
def test_help_says_what_it_does_its_environment_and_examples_that_parse(name: str, tmp_path: Path) -> None:
    proc = harness(tmp_path, *([name] if name else []), "--help")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    doc = COMMANDS.get(name)
    if doc is not None:
        assert doc.description.split("\n", 1)[0] in text
    assert "\nenvironment:\n" in text and "\nexit status:" in text
    env_block = text.split("\nenvironment:\n", 1)[1].split("\n\n", 1)[0]
    named = [line.split()[0] for line in env_block.splitlines() if line.strip() and line.strip() != "(none)"]
    assert set(named) <= set(ENVIRONMENT) and set(ENV_VARS) >= {n for n in named if n.startswith("HARNESS_")}
    examples = _examples(text)
    assert 2 <= len(examples) <= 3, examples
    for example in examples:
        for argv in _argv(example):
            if name:
                assert argv[0] == name or not doc, example
            args = PARSER.parse_args(argv)  # SystemExit (a test error) when an example is not a valid command line
            assert args.command in COMMANDS


def test_the_command_list_and_every_option_default_show_in_the_rendered_help(tmp_path: Path) -> None:
    top = harness(tmp_path, "--help").stdout
    for name in SUB.choices:
        assert name in top and COMMANDS[name].summary.split()[0] in top
    e2e = " ".join(harness(tmp_path, "e2e", "--help").stdout.split())
    assert "default: scenarios/reference.topology.yaml" in e2e and "HARNESS_ENDPOINT_URL" in e2e
    compare = " ".join(harness(tmp_path, "compare", "--help").stdout.split())
    assert "(default: 1.5)" in compare and "(default: 20)" in compare
