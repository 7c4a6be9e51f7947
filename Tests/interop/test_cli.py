"""The CLI's client subcommands against a real node, through the project's own gRPC client."""
import json
import subprocess

from conftest import BIN


def cli(node, *args, check=True):
    result = subprocess.run([BIN, *args, "--endpoint", node.target], capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_put_get_del_round_trip(node):
    assert "OK revision=" in cli(node, "put", "greeting", "hello").stdout
    out = cli(node, "get", "greeting").stdout
    assert "greeting = hello" in out and "version=1" in out
    as_json = json.loads(cli(node, "get", "greeting", "--json").stdout)
    assert as_json["value"] == "hello" and as_json["version"] == 1
    assert "deleted" in cli(node, "del", "greeting").stdout
    missing = cli(node, "get", "greeting", check=False)
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_range_and_txn(node):
    for k in ["a/1", "a/2", "b/1"]:
        cli(node, "put", k, "v")
    out = cli(node, "range", "--prefix", "a/").stdout
    assert "a/1 = v" in out and "a/2 = v" in out and "b/1" not in out
    rev = json.loads(cli(node, "get", "a/1", "--json").stdout)["mod_revision"]
    txn = cli(node, "txn", "--if", f"mod(a/1) = {rev}", "--then", "put a/1 changed", "--else", "get a/1").stdout
    assert txn.startswith("SUCCEEDED")
    assert json.loads(cli(node, "get", "a/1", "--json").stdout)["value"] == "changed"


def test_stale_expected_revision_prints_aborted(node):
    cli(node, "put", "k", "v1")
    result = cli(node, "put", "k", "v2", "--expected-revision", "999999", check=False)
    assert result.returncode == 2 and "ABORTED" in result.stderr


def test_watch_replays_with_count(node):
    rev = int(cli(node, "put", "w", "1").stdout.split("revision=")[1])
    cli(node, "put", "w", "2")
    out = cli(node, "watch", "w", "--start-revision", str(rev), "--count", "2").stdout.splitlines()
    assert out[0].startswith("PUT w = 1") and out[1].startswith("PUT w = 2")


def test_help_documents_every_serve_flag():
    out = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, timeout=30).stdout
    for flag in ["--listen", "--admin", "--data-dir", "--durability", "--max-message-bytes", "--compact-after",
                 "--history-revisions", "--max-key-bytes", "--max-value-bytes"]:
        assert flag in out
