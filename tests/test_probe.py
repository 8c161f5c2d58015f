"""sockspec probe: the same steps on the reference and a target, answers side by side."""

from __future__ import annotations

from conformance.cli import main

STEPS = """\
# a listener, a connection to it, one exchange
l = tcp.listen family=ipv4 host=127.0.0.1 port=0
c = tcp.connect family=ipv4 host=127.0.0.1 port=@l.local.port timeout=2
s = tcp.accept handle=@l timeout=2
stream.send handle=@c data=data:hello
stream.recv handle=@s max=1024
addr.peer handle=@l
"""


def test_a_script_on_an_equal_target_agrees_everywhere(tmp_path, capsys):
    script = tmp_path / "steps.txt"
    script.write_text(STEPS)
    assert main(["probe", "--target", "reference", "--script", str(script)]) == 0
    out = capsys.readouterr().out
    assert "aGVsbG8=" in out and "same outcome at every step" in out


def test_a_differing_step_is_marked_and_nothing_is_cut(tmp_path, capsys):
    script = tmp_path / "steps.txt"
    script.write_text(STEPS)
    code = main(["probe", "--target", "python:tests.faulty.adapters:ListenerPeerIsLocal", "--script", str(script)])
    out = capsys.readouterr().out
    assert code == 1 and "1 step(s) answered differently" in out
    marked = [line for line in out.splitlines() if line.startswith(">>")]
    assert marked and "ENOTCONN" in marked[0], out


def test_one_operation_from_the_command_line(capsys):
    assert main(["probe", "--target", "reference", "tcp.listen", "family=ipv4", "host=127.0.0.1", "port=0"]) == 0
    assert '"local":{"host":"127.0.0.1"' in capsys.readouterr().out


def test_a_bad_target_is_one_line(capsys):
    assert main(["probe", "--target", "cmd:/nonexistent/adapter", "hello", "protocol=1.2"]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("sockspec probe: cannot start"), out
