"""The JSON Schemas of the two file formats (docs/schema/) say what the loaders accept.

Editors complete and check topology and scenario files through these schemas (the
``# yaml-language-server: $schema=...`` modeline), so they must not drift from the loaders:

- every mapping of a format has exactly the keys its loader allows (:func:`loader_keys`), and every
  closed mapping of a schema (``additionalProperties: false``) is one of those;
- the closed value sets (regions, actions, attribute types, filter policy scopes) are the loaders'
  (:func:`loader_values`);
- every ``*.topology.yaml`` / ``*.scenario.yaml`` in scenarios/, tests/ and benchmarks/ that the loader
  accepts validates against its schema, and the files in scenarios/ name the schema in a modeline.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "docs" / "schema"
FORMATS = ("topology", "scenario")
MODELINE = "# yaml-language-server: $schema="


def _allowed_in(function: Callable[..., Any]) -> tuple[str, ...]:
    """The literal ``allowed=(...)`` tuple of the one ``mapping()`` call inside ``function``: for the
    mappings whose keys the loader writes inline instead of in a named tuple."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    found = [
        tuple(ast.literal_eval(kw.value))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "allowed" and isinstance(kw.value, ast.Tuple)
    ]
    assert len(found) == 1, f"{function.__qualname__}: expected one mapping(allowed=(...)) call, found {len(found)}; repoint loader_keys()"
    return found[0]


# Where a registered kind's or expectation's entry is described in its schema ($defs name), when it
# is not the kind's name; a kind or expectation missing here and from the schema fails below.
SCHEMA_DEF = {"expect_not": "expectNot", "dead_letter": "deadLetter", "subscription_dead_letter": "subscriptionDeadLetter",
              "expect_denied": "denied", "dead_lettered": "deadLettered"}


def loader_keys() -> dict[str, tuple[str, ...]]:
    """Where each mapping of the formats is read: ``format#json-pointer`` of its schema object → the
    keys the loader allows there. The sections come from the registries (each kind's spec, each
    expectation's class), so a kind or expectation added there must be described in the schema."""
    from harness.kinds.queue.spec import DEAD_LETTER_KEYS
    from harness.scenario.expectations import registry
    from harness.scenario.expectations.expect import LATENCY_KEYS
    from harness.scenario.format import attributes, bounds
    from harness.scenario.format import loader as scenario_loader
    from harness.scenario.format.sends import SEND_KEYS
    from harness.scenario.judge.measure import HOPS
    from harness.topology import loader as topology_loader
    from harness.topology import read_accounts
    from harness.topology.kind import specs

    keys = {
        "topology#": topology_loader.top_keys(),
        "topology#/$defs/account": read_accounts.ACCOUNT_KEYS,
        "topology#/$defs/aws": read_accounts.AWS_KEYS,
        "topology#/$defs/deadLetter": DEAD_LETTER_KEYS,
        "scenario#": scenario_loader.top_keys(),
        "scenario#/$defs/send": SEND_KEYS,
        "scenario#/$defs/typedAttribute": _allowed_in(attributes._typed),
        "scenario#/$defs/latency": LATENCY_KEYS,
        "scenario#/$defs/expect/properties/hops": HOPS,
        "scenario#/$defs/rateBound": _allowed_in(bounds.read_throughput),
        "scenario#/$defs/send/properties/lag": _allowed_in(bounds.read_lag),
    }
    keys.update({f"topology#/$defs/{SCHEMA_DEF.get(spec.name, spec.name)}": spec.keys for spec in specs()})
    keys.update({f"scenario#/$defs/{SCHEMA_DEF.get(kind.key, kind.key)}": kind.keys for kind in registry() if kind.keys})
    from harness.scenario.faults import registry as faults
    from harness.scenario.faults.when import WHEN_KEYS

    keys.update({f"scenario#/$defs/fault_{f.kind}": ("kind", *f.keys, *WHEN_KEYS) for f in faults()})
    return keys


def loader_values() -> dict[str, tuple[str, ...]]:
    """``format#json-pointer`` of a schema ``enum`` → the values the loader accepts there."""
    from harness.access.deployment import DENIAL_ACTIONS
    from harness.scenario.format.model import ATTRIBUTE_TYPES
    from harness.topology.filter_policy import SCOPES
    from harness.topology.regions import KNOWN_REGIONS

    return {
        "topology#/$defs/region": KNOWN_REGIONS,
        "topology#/$defs/subscription/properties/filter_policy_scope": SCOPES,
        "scenario#/$defs/denied/properties/action": DENIAL_ACTIONS,
        "scenario#/$defs/typedAttribute/properties/type": ATTRIBUTE_TYPES,
    }


def loader_accepts(kind: str, path: Path) -> bool:
    """Whether the harness's own loader accepts the file (the files a schema must accept)."""
    from harness.errors import InputFileError
    from harness.scenario.format.loader import validate_scenario_files
    from harness.topology.loader import load_topology

    try:
        load_topology(path) if kind == "topology" else validate_scenario_files([path])
    except InputFileError:
        return False
    return True


@cache
def schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())


def at(pointer: str) -> dict[str, Any]:
    """The schema object at ``format#/json/pointer``."""
    kind, _, path = pointer.partition("#")
    node: Any = schema(kind)
    for part in [p for p in path.split("/") if p]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _closed_objects(node: Any, pointer: str) -> Iterator[str]:
    """Every object schema under ``node`` that allows no other keys than its ``properties``."""
    if isinstance(node, dict):
        if node.get("additionalProperties") is False and "properties" in node:
            yield pointer
        for key, value in node.items():
            yield from _closed_objects(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _closed_objects(value, f"{pointer}/{i}")


def example_files(kind: str) -> list[Path]:
    return sorted(p for d in ("scenarios", "tests", "benchmarks") for p in (ROOT / d).rglob(f"*.{kind}.yaml") if "node_modules" not in p.parts)


@pytest.mark.parametrize("kind", FORMATS)
def test_the_schema_is_a_valid_draft_2020_12_schema(kind: str) -> None:
    assert schema(kind)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema(kind))


@pytest.mark.parametrize("pointer", sorted(loader_keys()))
def test_each_mapping_has_exactly_the_keys_its_loader_allows(pointer: str) -> None:
    node = at(pointer)
    declared, allowed = set(node.get("properties", {})), set(loader_keys()[pointer])
    assert node.get("additionalProperties") is False, f"{pointer}: set additionalProperties: false (the loader refuses other keys)"
    assert declared == allowed, (
        f"{pointer}: only in the loader: {sorted(allowed - declared)}; only in the schema: {sorted(declared - allowed)} "
        "- describe the field in docs/schema/ (then `python -m harness.cli.docs --write`) or drop it"
    )


@pytest.mark.parametrize("kind", FORMATS)
def test_every_closed_mapping_of_the_schema_is_checked_against_the_loader(kind: str) -> None:
    unchecked = set(_closed_objects(schema(kind), f"{kind}#")) - set(loader_keys())
    assert not unchecked, f"add these to loader_keys() with the loader's tuple: {sorted(unchecked)}"


@pytest.mark.parametrize("pointer", sorted(loader_values()))
def test_each_closed_value_set_is_the_loaders(pointer: str) -> None:
    assert at(pointer)["enum"] == list(loader_values()[pointer])


@pytest.mark.parametrize("kind", FORMATS)
def test_every_file_the_loader_accepts_validates_against_the_schema(kind: str) -> None:
    files = [p for p in example_files(kind) if loader_accepts(kind, p)]
    assert len(files) >= (5 if kind == "topology" else 15), files  # the reference set and the change examples at least
    validator = jsonschema.Draft202012Validator(schema(kind))
    problems = [
        f"{p.relative_to(ROOT)}: {'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"
        for p in files
        for e in validator.iter_errors(yaml.safe_load(p.read_text()))
    ]
    assert not problems, "\n".join(problems)


def test_the_schema_refuses_what_the_loader_refuses() -> None:
    """A few mistakes an editor should flag, each refused by the loader too."""
    reference = yaml.safe_load((ROOT / "scenarios" / "reference.topology.yaml").read_text())
    validator = jsonschema.Draft202012Validator(schema("topology"))
    for mutate in (
        lambda t: t["queues"]["b-eu"].update(visibilty_timeout=30),  # a typo'd field
        lambda t: t["accounts"]["A"].update(id=111111111111),  # an unquoted id
        lambda t: t["regions"].append("us-east-9"),  # no such region
        lambda t: t["queues"]["b-eu"].update(retention=30),  # out of range
        lambda t: t["subscriptions"][0].pop("queue"),  # a required field
    ):
        document = json.loads(json.dumps(reference))
        mutate(document)
        assert list(validator.iter_errors(document)), mutate


def test_the_files_in_scenarios_name_their_schema_in_a_modeline() -> None:
    missing = []
    for kind in FORMATS:
        for path in sorted((ROOT / "scenarios").rglob(f"*.{kind}.yaml")):
            first = path.read_text().splitlines()[0]
            target = (path.parent / first.removeprefix(MODELINE)).resolve() if first.startswith(MODELINE) else None
            if target != SCHEMA_DIR / f"{kind}.schema.json":
                missing.append(f"{path.relative_to(ROOT)}: first line should be {MODELINE}<relative path to docs/schema/{kind}.schema.json>")
    assert not missing, "\n".join(missing)
