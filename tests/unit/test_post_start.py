"""post_start_cmd's log lines, from literal outputs."""

from __future__ import annotations

from dockerspawner.post_start import post_start_lines


def hide(text: str) -> str:
    return text.replace("tok-1", "[secret]")


def test_stdout_at_debug_stderr_and_a_failed_exit_at_warning_tokens_hidden():
    assert post_start_lines(b"ready tok-1\n", b"careful\nagain\n", 3, cmd="setup", name="jupyter-al",
                            redact=hide) == [
        ("debug", "post_start stdout in jupyter-al: ready [secret]"),
        ("warning", "post_start stderr in jupyter-al: \n    careful\n    again"),
        ("warning", "post_start_cmd 'setup' in jupyter-al exited with 3"),
    ]


def test_a_failed_exec_reported_on_stdout_is_a_warning():
    assert post_start_lines(b"OCI runtime exec failed: exec failed: no such file", b"", 126,
                            cmd=["nope"], name="c", redact=hide) == [
        ("warning", "post_start stderr in c: OCI runtime exec failed: exec failed: no such file"),
        ("warning", "post_start_cmd ['nope'] in c exited with 126"),
    ]


def test_nothing_printed_and_success_logs_nothing():
    assert post_start_lines(b"", b"  \n", 0, cmd="true", name="c", redact=hide) == []
