"""The README tables of every module and example are what harness.provision.module_docs generates
from variables.tf / outputs.tf, and the check catches a table that drifted from its sources."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import paths
from harness.provision import module_docs
from harness.provision.module_docs import BEGIN, END, DocsError

DOCUMENTED = module_docs.documented_directories()


def test_modules_and_examples_are_documented() -> None:
    names = {f"{d.parent.name}/{d.name}" for d in DOCUMENTED}
    assert {f"modules/{m.name}" for m in paths.MODULES_DIR.iterdir() if m.is_dir()} <= names
    assert {"examples/fan-out-cross-account", "examples/cross-region-kms"} <= names


@pytest.mark.parametrize("directory", DOCUMENTED, ids=lambda d: f"{d.parent.name}/{d.name}")
def test_readme_tables_match_the_sources(directory: Path) -> None:
    diff = module_docs.stale(directory)
    assert diff is None, f"README tables differ from the .tf files; run {module_docs.WRITE_HINT}\n{diff}"


@pytest.fixture
def kms_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "kms"
    shutil.copytree(paths.MODULES_DIR / "kms", copy)
    assert module_docs.stale(copy) is None
    return copy


def test_check_catches_a_hand_edited_table(kms_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = kms_copy / "README.md"
    text = readme.read_text()
    assert "| `tags` | Tags applied to the key. |" in text
    readme.write_text(text.replace("| `tags` | Tags applied to the key. |", "| `tags` | Tags for the key. |"))
    diff = module_docs.stale(kms_copy)
    assert diff is not None and "-| `tags` | Tags for the key. |" in diff and "+| `tags` | Tags applied to the key. |" in diff
    assert module_docs.main([str(kms_copy)]) == 1
    assert "--write" in capsys.readouterr().err
    assert module_docs.main(["--write", str(kms_copy)]) == 0
    assert module_docs.stale(kms_copy) is None and readme.read_text() == text


def test_check_catches_a_variable_the_table_does_not_know(kms_copy: Path) -> None:
    variables = kms_copy / "variables.tf"
    variables.write_text(
        variables.read_text().replace('"Tags applied to the key."', '"Tags of the key."')
        + '\nvariable "extra" {\n  description = "An input the README lacks."\n  type        = number\n}\n'
    )
    diff = module_docs.stale(kms_copy)
    assert diff is not None
    assert "+| `tags` | Tags of the key. | `map(string)` | `{}` | no |" in diff
    assert "+| `extra` | An input the README lacks. | `number` | n/a | yes |" in diff


def test_prose_outside_the_markers_is_kept(kms_copy: Path) -> None:
    readme = kms_copy / "README.md"
    readme.write_text(readme.read_text().replace("## Usage", "## Usage\n\nA note of the author's.", 1))
    module_docs.write(kms_copy)
    assert "A note of the author's." in readme.read_text()


@pytest.mark.parametrize("readme", ["# no markers\n", f"# twice\n{BEGIN}\n{END}\n{BEGIN}\n{END}\n", f"# reversed\n{END}\n{BEGIN}\n"])
def test_a_readme_without_one_pair_of_markers_is_refused(kms_copy: Path, readme: str) -> None:
    (kms_copy / "README.md").write_text(readme)
    with pytest.raises(DocsError, match="BEGIN_TF_DOCS"):
        module_docs.stale(kms_copy)
    assert module_docs.main([str(kms_copy)]) == 2


def test_an_undescribed_variable_is_refused(kms_copy: Path) -> None:
    (kms_copy / "extra.tf").write_text('variable "bare" {\n  type = string\n}\n')
    with pytest.raises(DocsError, match="variable 'bare' has no description"):
        module_docs.read_module(kms_copy)


def test_a_file_that_is_not_hcl_is_refused(kms_copy: Path) -> None:
    (kms_copy / "broken.tf").write_text('variable "x" {\n')
    with pytest.raises(DocsError, match="broken.tf: cannot be read as HCL"):
        module_docs.read_module(kms_copy)


def test_rendering_of_literals_types_and_cells(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "shape" {\n'
        "  description = <<-EOT\n    First line | with a pipe.\n    Second \"line\" with $${literal}.\n  EOT\n"
        "  type = object({\n    name  = string\n    count = number\n  })\n"
        '  default = { name = "a", count = 2, "odd-key" = [true, null] }\n'
        "}\n"
        'output "secret" {\n  description = "A value."\n  value       = var.shape\n  sensitive   = true\n}\n'
        'resource "aws_sns_topic" "this" {\n  name = "t-${var.shape.name}"\n}\n'
        'data "aws_partition" "current" {}\n'
    )
    doc = module_docs.read_module(tmp_path)
    assert doc.variables[0].description == 'First line | with a pipe.\nSecond "line" with ${literal}.'
    text = module_docs.render(doc)
    assert (
        '| `shape` | First line \\| with a pipe.<br>Second "line" with ${literal}. | `object({name = string, count = number})` '
        '| `{"name": "a", "count": 2, "odd-key": [true, null]}` | no |'
    ) in text
    assert "| `secret` | A value. (sensitive) |" in text
    assert "| `aws_partition.current` | data source |\n| `aws_sns_topic.this` | resource |" in text
    assert "## Requirements" not in text and "## Modules" not in text
