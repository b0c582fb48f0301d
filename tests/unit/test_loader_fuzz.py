"""Fuzz the topology and scenario loaders with malformed mutations of the reference files (issue 9).

Every generated file must either load or raise one :class:`InputFileError` whose every line is
``file:line: field: message``; never a traceback, never another exception. The generator is seeded,
so a failure names a case that can be replayed (``_topology_cases()[i]``).
"""

from __future__ import annotations

import functools
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from harness import paths
from harness.errors import InputFileError
from harness.scenario.format.loader import load_scenario, validate_scenario_files
from harness.topology.loader import load_topology

SEED = 20261124
PROBLEM_LINE = re.compile(r"^[^:]+:\d+: [^:]+: .+")
REFERENCE_SCENARIOS = sorted(paths.SCENARIOS_DIR.glob("*.scenario.yaml"))

_S = "tag:yaml.org,2002:"
# The generator only needs speed (the loaders under test use their own pure-Python loader).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _scalar(value: str, tag: str = "str") -> yaml.ScalarNode:
    return yaml.ScalarNode(_S + tag, value)


WRONG_VALUES: list[Callable[[], yaml.Node]] = [
    lambda: _scalar("", "null"),
    lambda: _scalar("~", "null"),
    lambda: _scalar("7", "int"),
    lambda: _scalar("-1", "int"),
    lambda: _scalar("0x1e", "int"),
    lambda: _scalar("1.5", "float"),
    lambda: _scalar(".inf", "float"),
    lambda: _scalar("yes", "bool"),
    lambda: _scalar("true", "bool"),
    lambda: _scalar("2024-01-01", "timestamp"),
    lambda: _scalar("x"),
    lambda: _scalar(""),
    lambda: _scalar("a:b"),
    lambda: _scalar("ünïcödé ✓ \u202e"),
    lambda: _scalar("A" * 300),
    lambda: yaml.SequenceNode(_S + "seq", []),
    lambda: yaml.SequenceNode(_S + "seq", [_scalar("a"), _scalar("3", "int")]),
    lambda: yaml.MappingNode(_S + "map", []),
    lambda: yaml.MappingNode(_S + "map", [(_scalar("k"), _scalar("v"))]),
]
ODD_KEYS = ["colour", "queue", "Topics", "x:y", "", "<<", "ñame", "a b", "12", "fifo", "dead_letter", "id"]


def _slots(root: yaml.Node) -> list[tuple[yaml.Node, int]]:
    """Every (collection, index) in the tree, for replacing a key, a value or an item."""
    out: list[tuple[yaml.Node, int]] = []

    def walk(node: yaml.Node) -> None:
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            for i, entry in enumerate(node.value):
                out.append((node, i))
                walk(entry[1] if isinstance(node, yaml.MappingNode) else entry)

    walk(root)
    return out


def _mappings(root: yaml.Node) -> list[yaml.MappingNode]:
    return [n for n, _ in _slots(root) if isinstance(n, yaml.MappingNode)] + (
        [root] if isinstance(root, yaml.MappingNode) else []
    )


def _tree_mutation(text: str, rng: random.Random) -> str:
    """Compose ``text``, change one thing in the tree, serialize it again."""
    root = yaml.compose(text, Loader=_LOADER)
    assert root is not None
    how = rng.choice(["value", "key", "unknown-key", "duplicate-key", "drop", "swap"])
    if how in ("value", "key", "drop"):
        parent, i = rng.choice(_slots(root))
        if how == "drop":
            del parent.value[i]
        elif isinstance(parent, yaml.SequenceNode):
            parent.value[i] = rng.choice(WRONG_VALUES)()
        else:
            key, value = parent.value[i]
            parent.value[i] = (rng.choice(WRONG_VALUES)(), value) if how == "key" else (key, rng.choice(WRONG_VALUES)())
    elif how == "unknown-key":
        target = rng.choice(_mappings(root))
        target.value.insert(rng.randint(0, len(target.value)), (_scalar(rng.choice(ODD_KEYS)), rng.choice(WRONG_VALUES)()))
    elif how == "duplicate-key":
        target = rng.choice([m for m in _mappings(root) if m.value] or [root])
        if isinstance(target, yaml.MappingNode) and target.value:
            key, _ = rng.choice(target.value)
            target.value.append((_scalar(key.value if isinstance(key, yaml.ScalarNode) else "k"), rng.choice(WRONG_VALUES)()))
    else:  # swap two values of the same mapping
        target = rng.choice([m for m in _mappings(root) if len(m.value) > 1] or [root])
        if isinstance(target, yaml.MappingNode) and len(target.value) > 1:
            i, j = rng.sample(range(len(target.value)), 2)
            (ki, vi), (kj, vj) = target.value[i], target.value[j]
            target.value[i], target.value[j] = (ki, vj), (kj, vi)
    return yaml.serialize(root, Dumper=_DUMPER)


def _deep(rng: random.Random) -> str:
    depth = rng.choice([65, 100, 300, 1000])
    return rng.choice(["[" * depth + "]" * depth, "{a: " * depth + "x" + "}" * depth])


def _text_mutation(text: str, rng: random.Random) -> str | bytes:
    how = rng.choice(["truncate", "bytes", "unicode", "deep", "indent", "tab", "bom"])
    cut = rng.randint(0, len(text))
    if how == "truncate":
        return text[:cut]
    if how == "bytes":
        noise = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
        raw = text.encode()
        return raw[:cut] + noise + raw[cut + rng.randint(0, 8) :]
    if how == "unicode":
        bad = rng.choice(["\x00", "\x1b", "\ufeff", "\u2028", "\x85", "\u202e", "\ufffe", "\U0001f600", "é"])
        if rng.random() < 0.3:  # an encoded lone surrogate: not UTF-8 at all
            return text.encode()[:cut] + b"\xed\xa0\x80" + text.encode()[cut:]
        return text[:cut] + bad + text[cut:]
    if how == "deep":
        lines = text.splitlines()
        i = rng.randrange(len(lines))
        key = lines[i].split(":", 1)[0] if ":" in lines[i] else "  extra"
        lines[i] = f"{key}: {_deep(rng)}"
        return "\n".join(lines) + "\n"
    if how == "indent":
        lines = text.splitlines()
        i = rng.randrange(len(lines))
        lines[i] = " " * rng.randint(1, 5) + lines[i]
        return "\n".join(lines) + "\n"
    if how == "tab":
        return text.replace("  ", "\t", 1)
    return "\ufeff" + text


TOPOLOGY_INJECTIONS = [
    # name collisions (issue 9 #2) and dead-letter cycles (#3)
    ("accounts:\n", 'accounts:\n  a: {id: "999999999999"}\n'),
    ("accounts:\n", 'accounts:\n  A-1: {id: "999999999998"}\n  a_1: {id: "999999999997"}\n'),
    ("queues:\n", "queues:\n  x--y: {account: B, region: eu-west-1}\n  y: {account: B, region: eu-west-1}\n"),
    ("    retention: 1209600\n", "    retention: 1209600\n    dead_letter: {queue: b-eu, max_receive_count: 3}\n"),
    (
        "  b-eu-fifo-dlq:\n    account: B\n    region: eu-west-1\n    fifo: true\n",
        "  b-eu-fifo-dlq:\n    account: B\n    region: eu-west-1\n    fifo: true\n"
        "    dead_letter: {queue: b-eu-fifo, max_receive_count: 3}\n",
    ),
    ("subscriptions:\n", "subscriptions:\n  - {topic: orders, queue: b-eu}\n"),
    ("topics:\n", "topics:\n  orders--b: {account: A, region: us-east-1}\n"),
    ("regions: [", "regions: [us-gov-west-1, "),
    ("regions: [", "regions: [eu-west-1, "),
]


@functools.cache
def _topology_cases(count: int = 130) -> list[str | bytes]:
    rng = random.Random(SEED)
    reference = paths.REFERENCE_TOPOLOGY.read_text()
    cases: list[str | bytes] = []
    for old, new in TOPOLOGY_INJECTIONS:
        cases.append(reference.replace(old, new, 1))
    # subscription module names that coincide once '-' and '_' fold
    cases.append(
        reference.replace("queues:\n", "queues:\n  d: {account: B, region: eu-west-1}\n  ers--d: {account: B, region: eu-west-1}\n", 1)
        .replace("topics:\n", "topics:\n  orders--ers: {account: A, region: us-east-1}\n", 1)
        + "  - {topic: orders--ers, queue: d}\n  - {topic: orders, queue: ers--d}\n"
    )
    # deep nesting (issue 9 #4), block and flow style
    cases.append(reference.replace("      kind: [invoice]\n", "      kind: " + "[" * 1000 + "]" * 1000 + "\n", 1))
    cases.append(reference.replace("    filter_policy:\n", "    filter_policy:\n" + "".join("  " * (i + 3) + "k:\n" for i in range(500)), 1))
    while len(cases) < count:
        cases.append(_tree_mutation(reference, rng) if rng.random() < 0.6 else _text_mutation(reference, rng))
    return cases


@functools.cache
def _scenario_cases(count: int = 120) -> list[str | bytes]:
    rng = random.Random(SEED + 1)
    texts = [p.read_text() for p in REFERENCE_SCENARIOS]
    cases: list[str | bytes] = [
        texts[0].replace("send:\n", "send:\n  from: A\n", 1),  # from without region
        "name: x\ntopology: reference.topology.yaml\nsend: {from: A/us-east-1, topic: orders}\n"
        "expect: [{queue: b-eu, within: 0.0001ms}]\nexpect_not: [{queue: b-eu, within: 1s}]\n",
        "name: x\ntopology: broken.topology.yaml\nsend: {from: A/us-east-1, topic: orders}\n",
        "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: orders\n"
        "  attributes: " + "{a: " * 200 + "b" + "}" * 200 + "\n",
        "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: orders\n"
        "expect:\n" + "".join("  " * i + "- \n" for i in range(1, 800)),
    ]
    while len(cases) < count:
        text = rng.choice(texts)
        cases.append(_tree_mutation(text, rng) if rng.random() < 0.6 else _text_mutation(text, rng))
    return cases


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    return path


def _check(load: Callable[[Path], object], path: Path, index: int) -> str | None:
    """``"accepted"``/``"rejected"`` if the outcome is acceptable, else what went wrong."""
    try:
        load(path)
    except InputFileError as err:
        lines = str(err).splitlines()
        if not err.problems or not lines:
            return f"case {index}: InputFileError without problems"
        bad = [line for line in lines if not PROBLEM_LINE.match(line)]
        if bad:
            return f"case {index}: lines not in file:line: field: message form: {bad[:3]}"
        return "rejected"
    except Exception as exc:  # noqa: BLE001 - the point of the test: nothing else may escape
        return f"case {index}: {type(exc).__name__}: {str(exc)[:200]}"
    return "accepted"


def test_there_are_at_least_200_malformed_files() -> None:
    assert len(_topology_cases()) + len(_scenario_cases()) >= 200


def test_fuzzed_topology_files_load_or_give_one_line_problems(tmp_path: Path) -> None:
    outcomes = [
        _check(load_topology, _write(tmp_path / f"t{i}.topology.yaml", content), i)
        for i, content in enumerate(_topology_cases())
    ]
    failures = [o for o in outcomes if o not in ("accepted", "rejected")]
    assert not failures, "\n".join(failures[:10])
    assert outcomes.count("rejected") >= 80, "the mutations should mostly break the file"


def test_fuzzed_scenario_files_load_or_give_one_line_problems(tmp_path: Path) -> None:
    shutil.copy(paths.REFERENCE_TOPOLOGY, tmp_path / "reference.topology.yaml")
    (tmp_path / "broken.topology.yaml").write_text("name: broken\naccounts: {}\nregions: [us-east-1]\n")
    files = [_write(tmp_path / f"s{i}.scenario.yaml", content) for i, content in enumerate(_scenario_cases())]
    outcomes = [_check(load_scenario, path, i) for i, path in enumerate(files)]
    failures = [o for o in outcomes if o not in ("accepted", "rejected")]
    assert not failures, "\n".join(failures[:10])
    assert outcomes.count("rejected") >= 60, "the mutations should mostly break the file"
    assert _check(validate_scenario_files, files, -1) == "rejected"  # type: ignore[arg-type]


@pytest.mark.parametrize("content", [_deep(random.Random(n)) for n in range(4)])
def test_deep_values_anywhere_are_one_problem(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path / "deep.topology.yaml", f"name: t\naccounts: {content}\nregions: [us-east-1]\n")
    with pytest.raises(InputFileError) as err:
        load_topology(path)
    assert len(err.value.problems) == 1 and PROBLEM_LINE.match(str(err.value))
