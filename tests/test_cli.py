import subprocess
import sys
import time

import pytest

from blockstudio.cli import main


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "blockstudio", *args], capture_output=True, text=True
    )


def test_version_is_fast_and_loads_no_tensorflow():
    start = time.perf_counter()
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("blockstudio ")
    assert time.perf_counter() - start < 3  # generous: the figure (<0.3 s) is in bench/


def test_templates_lists_the_unet(capsys):
    assert main(["templates"]) == 0
    assert "unet-res-block" in capsys.readouterr().out


def test_export_to_stdout_and_file(capsys, tmp_path):
    assert main(["export", "--template", "unet-res-block", "--style", "init"]) == 0
    text = capsys.readouterr().out
    assert "class UnetResBlock(keras.layers.Layer)" in text and "in_channels=32" in text
    out = tmp_path / "block.py"
    assert main(["export", "--set", "out_channels=16", "-o", str(out)]) == 0
    assert "out_channels=16" in out.read_text()


def test_bad_arguments_exit_2_with_a_message(capsys, tmp_path):
    cases = [
        (["export", "--template", "nope"], "unknown template 'nope'"),
        (["export", "--set", "stride=two"], "stride must be a whole number"),
        (["export", "--set", "strid=2"], "no block parameter 'strid'"),
        (["export", "--input-shape", "(None, 0, 3)"], "sizes must be positive"),
        (["export", str(tmp_path / "missing.bsblock")], "cannot read file"),
    ]
    for argv, words in cases:
        assert main(argv) == 2, argv
        assert words in capsys.readouterr().err


def test_invalid_document_exits_2(capsys, tmp_path, unet):
    from blockstudio.core.project import save_document

    unet.set_param("conv1", "kernel_size", -1)
    path = tmp_path / "bad.bsblock"
    save_document(unet, path)
    assert main(["export", str(path)]) == 2
    assert "kernel_size must be at least 1" in capsys.readouterr().err


def test_argparse_errors_exit_2():
    out = run("export", "--style", "weird")
    assert out.returncode == 2 and "invalid choice" in out.stderr and "Traceback" not in out.stderr


def test_trace_cli_formats_and_exit_codes(tmp_path):
    out = run("trace", "--format", "chrome", "-o", str(tmp_path / "t.json"))
    assert out.returncode == 0, out.stderr
    import json

    assert "traceEvents" in json.loads((tmp_path / "t.json").read_text())
    out = run("trace", "--call-shape", "(1, 64, 64, 16)")
    assert out.returncode == 1
    assert "call #2 unet_res_block" in out.stdout and "no build: already built" in out.stdout
    assert "Keras error in conv1" in out.stderr
    out = run("trace", "--calls", "0")
    assert out.returncode == 2 and "--calls must be at least 1" in out.stderr


def test_output_that_is_the_input_is_refused_and_the_project_survives(tmp_path, unet, capsys):
    from blockstudio.core.project import save_document

    path = tmp_path / "p.bsblock"
    save_document(unet, path)
    before = path.read_bytes()
    for command in ("export", "trace"):
        for target in (str(path), str(tmp_path / "." / "p.bsblock")):
            assert main([command, str(path), "-o", target]) == 2
            assert "is the input file" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_non_finite_values_are_refused(tmp_path, unet, capsys):
    from dataclasses import replace

    assert main(["export", "--set", "negative_slope=1e999"]) == 2
    assert "negative_slope must be a finite number" in capsys.readouterr().err
    from blockstudio.core.project import save_document

    slope = unet.param("negative_slope")
    unet.replace_block_param(slope.name, replace(slope, default=float("inf")))
    path = tmp_path / "inf.bsblock"
    with pytest.raises(ValueError):  # JSON cannot hold inf: no file is written with one
        save_document(unet, path)
    assert not path.exists()
    text = '{"format": "blockstudio.block", "version": 1, "document": {"name": "B", "params": '
    path.write_text(text + '[{"name": "a", "type": "float", "default": 1e999}]}}')
    assert main(["-v", "export", str(path)]) == 2
    assert "params[0].default: expected a literal (finite numbers" in capsys.readouterr().err


def test_deeply_nested_project_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "deep.bsblock"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["export", str(path)]) == 2
    err = capsys.readouterr().err
    assert "nested far too deeply" in err and "Traceback" not in err


def test_export_refuses_shapes_keras_refuses(tmp_path, unet, capsys):
    from dataclasses import replace

    from blockstudio.core.document import Edge, Node
    from blockstudio.core.project import save_document

    # GroupNormalization with 5 groups over 64 channels: Keras refuses it when building
    unet.replace_block_param("norm_name", replace(unet.param("norm_name"), choices=None))
    unet.set_param("norm1", "norm", "group")
    unet.set_param("norm1", "groups", 5)
    path = tmp_path / "groups.bsblock"
    save_document(unet, path)
    assert main(["export", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "shape error in norm1" in err and "groups" in err
    # an Add of 8 and 12 channels
    unet2 = unet.copy()
    unet2.set_param("norm1", "norm", "instance")
    unet2.add_node(Node("d", "Dense", "dense8", {"units": 8}))
    unet2.add_node(Node("e", "Dense", "dense12", {"units": 12}))
    unet2.add_node(Node("m", "Add", "merge"))
    unet2.remove_edge(unet2.inputs_of("output")[0])
    for edge in [Edge("input", "d"), Edge("input", "e"), Edge("d", "m"), Edge("e", "m", 1)]:
        unet2.add_edge(edge)
    unet2.add_edge(Edge("m", "output"))
    path2 = tmp_path / "add.bsblock"
    save_document(unet2, path2)
    assert main(["export", str(path2)]) == 2
    assert "shape error in merge" in capsys.readouterr().err


def test_empty_input_shape_is_an_error_not_ignored(capsys):
    assert main(["export", "--input-shape", ""]) == 2
    assert "--input-shape" in capsys.readouterr().err


def test_errors_are_one_line_unless_verbose(tmp_path, unet, capsys):
    from blockstudio.core.project import save_document

    unet.set_param("conv1", "kernel_size", -1)
    unet.set_param("conv2", "kernel_size", -1)
    path = tmp_path / "bad.bsblock"
    save_document(unet, path)
    assert main(["export", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(+1 more)" in err and "-v for details" in err
    assert main(["-v", "export", str(path)]) == 2
    assert capsys.readouterr().err.count("kernel_size must be at least 1") >= 2


def test_trace_stderr_is_one_line_without_tensorflow_noise():
    out = run("trace", "--call-shape", "(1, 64, 64, 16)")
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith("blockstudio trace: Keras error in conv1")


def run_without_display(*args, cwd=None):
    """The installed ``blockstudio`` command with no display and Qt's default platform."""
    import os
    import shutil

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    command = shutil.which("blockstudio") or sys.executable
    argv = [command, *args] if command != sys.executable else [command, "-m", "blockstudio", *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland displays")
def test_no_display_is_a_sentence_and_exit_1_not_an_abort(tmp_path, unet):
    from blockstudio.core.project import save_document

    path = tmp_path / "p.bsblock"
    save_document(unet, path)
    for args in ([], ["open"], [str(path)], ["-v", "open", str(path)]):
        out = run_without_display(*args)
        assert out.returncode == 1, (args, out.returncode, out.stderr)
        assert out.stderr == (
            "blockstudio: no display found: set DISPLAY, or QT_QPA_PLATFORM=offscreen\n"
        )


def test_display_problem_reads_the_environment():
    from blockstudio.cli import NO_DISPLAY, display_problem

    if not sys.platform.startswith("linux"):
        assert display_problem({}) is None
        return
    assert display_problem({}) == NO_DISPLAY
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}) == NO_DISPLAY
    assert display_problem({"DISPLAY": ":0"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_a_word_that_is_neither_command_nor_file_exits_2(tmp_path):
    out = run_without_display("frobnicate", cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == (
        "blockstudio: 'frobnicate' is neither a command (open, templates, export, trace, check,"
        " import) nor a file\n"
    )
    for name in ("missing.bsblock", "missing.json", str(tmp_path / "nowhere" / "p")):
        out = run_without_display(name, cwd=tmp_path)
        assert out.returncode == 2 and out.stderr == f"blockstudio: {name!r}: no such file\n"
    out = run_without_display(str(tmp_path))
    assert out.returncode == 2 and "is not a file" in out.stderr
