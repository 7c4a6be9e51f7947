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


def test_append_read_and_stream_meta(node):
    out = cli(node, "append", "orders", '{"n":1}', '{"n":2}', "--type", "OrderPlaced", "--meta", "tenant=t1").stdout
    assert out.startswith("OK revisions=0...1 position=")
    lines = cli(node, "read", "orders").stdout.splitlines()
    assert lines[0].startswith("orders@0 pos=") and 'OrderPlaced {"n":1}' in lines[0] and "tenant=t1" in lines[0]
    backwards = [json.loads(line) for line in cli(node, "read", "orders", "--backwards", "--json").stdout.splitlines()]
    assert [e["revision"] for e in backwards] == [1, 0] and backwards[0]["type"] == "OrderPlaced"
    assert [line.split()[0] for line in cli(node, "read", "$all").stdout.splitlines()] == ["orders@0", "orders@1"]
    stale = cli(node, "append", "orders", "x", "--type", "T", "--expected-revision", "0", check=False)
    assert stale.returncode == 2 and "ABORTED" in stale.stderr
    missing = cli(node, "read", "nope", check=False)
    assert missing.returncode == 1 and "not found" in missing.stderr
    meta = json.loads(cli(node, "stream-meta", "orders", "--max-count", "1", "--json").stdout)
    assert meta["max_count"] == 1 and meta["last_revision"] == 1
    assert [json.loads(line)["revision"] for line in cli(node, "read", "orders", "--json").stdout.splitlines()] == [1]


def test_append_with_ids_is_retryable(node):
    first = cli(node, "append", "retry", "a", "b", "--type", "T", "--id", "id-1", "--id", "id-2").stdout
    again = cli(node, "append", "retry", "a", "b", "--type", "T", "--id", "id-1", "--id", "id-2").stdout
    assert first == again
    assert len(cli(node, "read", "retry").stdout.splitlines()) == 2
    bad = cli(node, "append", "retry", "a", "b", "--type", "T", "--id", "only-one", check=False)
    assert bad.returncode != 0 and "--id" in bad.stderr


def test_subscribe_with_group_and_ack_resumes(node):
    cli(node, "append", "feed", "1", "2", "3", "--type", "Tick")
    out = cli(node, "subscribe", "feed", "--group", "g", "--ack", "--count", "2").stdout.splitlines()
    assert [line.split()[0] for line in out] == ["feed@0", "feed@1"]
    again = cli(node, "subscribe", "feed", "--group", "g", "--count", "1").stdout.splitlines()
    assert again[0].startswith("feed@2")
    caught = cli(node, "subscribe", "feed", "--from", "3", "--timeout", "2", check=False).stdout
    assert "-- caught up at position" in caught
