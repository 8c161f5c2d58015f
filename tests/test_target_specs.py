"""--target parsing: every form, labels, and one clear error for the rest."""

import pytest

from fixtures.errors import TargetSpecError
from fixtures.target_spec import parse_target, parse_targets


@pytest.mark.parametrize("text, label, kind, value", [
    ("reference", "reference", "reference", ""),
    ("c", "c", "builtin", "c"),
    ("mine=c", "mine", "builtin", "c"),
    ("python:pkg.mod:Adapter", "Adapter", "python", "pkg.mod:Adapter"),
    ("cmd:./adapter --flag=1", "adapter", "cmd", "./adapter --flag=1"),
    ("x=cmd:python -m thing", "x", "cmd", "python -m thing"),
])
def test_valid_specs(text, label, kind, value):
    spec = parse_target(text)
    assert (spec.label, spec.kind, spec.value) == (label, kind, value)


@pytest.mark.parametrize("text, message", [
    ("bogus", "unknown target"),
    ("cmd:", "cmd: needs a command"),
    ("cmd:'unclosed", "cannot split the command"),
    ("python:nomodule", "python:MODULE:ATTR"),
    ("python:1bad:X", "python:MODULE:ATTR"),
])
def test_invalid_specs_say_what_is_wrong(text, message):
    with pytest.raises(TargetSpecError, match=message):
        parse_target(text)


def test_duplicate_labels_are_refused():
    with pytest.raises(TargetSpecError, match="already used"):
        parse_targets(["reference", "reference"])


def test_default_is_the_reference():
    assert [s.kind for s in parse_targets([])] == ["reference"]


def test_command_is_split_like_a_shell_but_never_run_through_one():
    assert parse_target("cmd:prog 'a b' $HOME;ls").argv == ["prog", "a b", "$HOME;ls"]
