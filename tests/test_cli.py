import subprocess
import sys
import time

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

    unet.nodes["conv1"].params["kernel_size"] = -1
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
