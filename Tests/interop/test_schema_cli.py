"""`microstatedb schema ...` against a real node: each subcommand's happy path and one error."""
import subprocess

from conftest import BIN

USER_V1 = '{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}'
USER_V2 = ('{"type":"record","name":"User","fields":[{"name":"id","type":"long"},'
           '{"name":"email","type":"string","default":""}]}')
USER_BREAKING = ('{"type":"record","name":"User","fields":[{"name":"id","type":"long"},'
                 '{"name":"age","type":"int"}]}')


def cli(node, *args, check=True):
    result = subprocess.run([BIN, "schema", *args, "--endpoint", node.target], capture_output=True, text=True,
                            timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_register_prints_id_and_version(node, tmp_path):
    v1 = write(tmp_path, "v1.avsc", USER_V1)
    assert cli(node, "register", "users", "--type", "avro", "--file", v1).stdout.strip() == "id=1 version=1"
    v2 = write(tmp_path, "v2.avsc", USER_V2)
    assert cli(node, "register", "users", "--file", v2).stdout.strip() == "id=2 version=2"
    bad = cli(node, "register", "users", "--type", "json", "--file", write(tmp_path, "bad", "{nope"), check=False)
    assert bad.returncode == 2 and "INVALID_ARGUMENT" in bad.stderr and "42201" in bad.stderr


def test_register_with_reference_and_import(node, tmp_path):
    common = write(tmp_path, "common.proto", 'syntax = "proto3";\npackage c;\nmessage Money { int64 cents = 1; }\n')
    assert cli(node, "register", "common", "--type", "protobuf", "--file", common).stdout.strip() == "id=1 version=1"
    order = write(tmp_path, "order.proto", 'syntax = "proto3";\npackage o;\nimport "common.proto";\n'
                                           'message Order { c.Money total = 1; }\n')
    out = cli(node, "register", "orders", "--type", "protobuf", "--file", order,
              "--reference", "common.proto=common:1").stdout
    assert out.strip() == "id=2 version=1"
    # IMPORT on a registry holding subjects is refused (Confluent's rule); an empty subject may switch.
    refused = cli(node, "mode", "--set", "import", check=False)
    assert refused.returncode == 2 and "42205" in refused.stderr
    assert cli(node, "mode", "legacy", "--set", "import").stdout.strip() == "IMPORT"
    imported = cli(node, "register", "legacy", "--file", write(tmp_path, "v1", USER_V1), "--id", "100", "--version", "7")
    assert imported.stdout.strip() == "id=100 version=7"
    half = cli(node, "register", "legacy", "--file", write(tmp_path, "v1", USER_V1), "--id", "100", check=False)
    assert half.returncode != 0 and "--id and --version" in half.stderr


def test_get_by_id_and_subject(node, tmp_path):
    cli(node, "register", "users", "--file", write(tmp_path, "v1", USER_V1))
    cli(node, "register", "users", "--file", write(tmp_path, "v2", USER_V2))
    assert cli(node, "get", "--id", "1").stdout.strip() == USER_V1
    assert cli(node, "get", "users").stdout.strip() == USER_V2
    assert cli(node, "get", "users", "--version", "1").stdout.strip() == USER_V1
    missing = cli(node, "get", "nobody", check=False)
    assert missing.returncode == 1 and "40401" in missing.stderr


def test_check_prints_compatible_or_messages(node, tmp_path):
    cli(node, "register", "users", "--file", write(tmp_path, "v1", USER_V1))
    assert cli(node, "check", "users", "--file", write(tmp_path, "v2", USER_V2)).stdout.strip() == "compatible"
    bad = cli(node, "check", "users", "--file", write(tmp_path, "b", USER_BREAKING), "--latest", check=False)
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert lines[0] == "incompatible" and len(lines) > 1
    rule, path, message = lines[1].split("\t", 2)
    assert rule == "READER_FIELD_MISSING_DEFAULT_VALUE" and "age" in path and message
    missing = cli(node, "check", "users", "--file", write(tmp_path, "v2", USER_V2), "--version", "9", check=False)
    assert missing.returncode == 2 and "40402" in missing.stderr


def test_config_and_mode(node):
    assert cli(node, "config").stdout.strip() == "BACKWARD"
    assert cli(node, "config", "users", "--set", "full_transitive").stdout.strip() == "FULL_TRANSITIVE"
    assert cli(node, "config", "users").stdout.strip() == "FULL_TRANSITIVE"
    assert cli(node, "config", "users", "--set", "unset").stdout.strip() == "BACKWARD"
    assert cli(node, "config", "users").stdout.strip() == "UNSET"
    assert cli(node, "config", "users", "--default-to-global").stdout.strip() == "BACKWARD"
    wrong = cli(node, "config", "--set", "sideways", check=False)
    assert wrong.returncode != 0 and "sideways" in wrong.stderr
    assert cli(node, "mode").stdout.strip() == "READWRITE"
    assert cli(node, "mode", "--set", "readonly").stdout.strip() == "READONLY"


def test_delete_soft_then_permanent(node, tmp_path):
    cli(node, "register", "users", "--file", write(tmp_path, "v1", USER_V1))
    cli(node, "register", "users", "--file", write(tmp_path, "v2", USER_V2))
    assert cli(node, "delete", "users", "--version", "latest").stdout.strip() == "deleted versions=2"
    early = cli(node, "delete", "users", "--permanent", check=False)
    assert early.returncode == 2 and "40405" in early.stderr
    assert cli(node, "delete", "users").stdout.strip() == "deleted versions=1"
    assert cli(node, "delete", "users", "--permanent").stdout.strip() == "deleted versions=1,2 permanently"


def test_bind_list_remove(node, tmp_path):
    cli(node, "register", "users", "--file", write(tmp_path, "v1", USER_V1))
    assert cli(node, "bind", "users", "--key-prefix", "users/").stdout.strip() == "bound"
    assert cli(node, "bind", "users", "--stream-pattern", "user-*", "--mode", "warn").stdout.strip() == "bound"
    assert cli(node, "bind", "--list").stdout.splitlines() == [
        "users\tkey-prefix=users/\tvalidate",
        "users\tstream-pattern=user-*\twarn",
    ]
    assert cli(node, "bind", "--remove", "--stream-pattern", "user-*").stdout.strip() == "unbound"
    assert len(cli(node, "bind", "--list", "users").stdout.splitlines()) == 1
    both = cli(node, "bind", "users", "--key-prefix", "a", "--stream-pattern", "b", check=False)
    assert both.returncode != 0 and "exactly one" in both.stderr
    unknown = cli(node, "bind", "nobody", "--key-prefix", "x/", check=False)
    assert unknown.returncode == 2 and "40401" in unknown.stderr


def test_help_documents_every_schema_flag():
    expected = {
        "register": ["--type", "--file", "--reference", "--id", "--version", "--normalize"],
        "get": ["--id", "--version", "--include-deleted"],
        "check": ["--type", "--file", "--version", "--latest", "--all"],
        "config": ["--set", "--default-to-global"],
        "mode": ["--set", "--default-to-global"],
        "delete": ["--version", "--permanent"],
        "bind": ["--key-prefix", "--stream-pattern", "--mode", "--list", "--remove"],
    }
    for command, flags in expected.items():
        out = subprocess.run([BIN, "schema", command, "--help"], capture_output=True, text=True, timeout=30).stdout
        for flag in flags:
            assert flag in out, (command, flag)
