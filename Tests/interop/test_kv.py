"""Every KV method through a stock grpcio client, against a real node."""
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from conftest import kv_pb2

KV = kv_pb2


def put(kv, key, value, **kw):
    return kv.Put(KV.PutRequest(key=key, value=value, **kw), timeout=10)


def test_put_then_get_returns_value_and_mvcc_fields(kv):
    first = put(kv, b"alpha", b"one")
    assert first.revision > 0
    assert first.header.revision >= first.revision
    got = kv.Get(KV.GetRequest(key=b"alpha"), timeout=10)
    assert got.found
    assert got.kv.key == b"alpha" and got.kv.value == b"one"
    assert got.kv.create_revision == first.revision == got.kv.mod_revision
    assert got.kv.version == 1
    second = put(kv, b"alpha", b"two")
    got = kv.Get(KV.GetRequest(key=b"alpha"), timeout=10)
    assert (got.kv.value, got.kv.version, got.kv.mod_revision) == (b"two", 2, second.revision)
    assert got.kv.create_revision == first.revision


def test_get_missing_key_is_not_found_without_error(kv):
    got = kv.Get(KV.GetRequest(key=b"nope"), timeout=10)
    assert not got.found
    assert not got.HasField("kv")


def test_get_at_past_revision_reads_history(kv):
    r1 = put(kv, b"h", b"v1").revision
    put(kv, b"h", b"v2")
    old = kv.Get(KV.GetRequest(key=b"h", revision=r1), timeout=10)
    assert old.found and old.kv.value == b"v1"


def test_get_at_future_revision_is_out_of_range(kv):
    r = put(kv, b"f", b"v").revision
    with pytest.raises(grpc.RpcError) as err:
        kv.Get(KV.GetRequest(key=b"f", revision=r + 1000), timeout=10)
    assert err.value.code() == grpc.StatusCode.OUT_OF_RANGE


def test_delete_removes_and_reports(kv):
    put(kv, b"d", b"v")
    deleted = kv.Delete(KV.DeleteRequest(key=b"d"), timeout=10)
    assert deleted.deleted and deleted.revision > 0
    assert not kv.Get(KV.GetRequest(key=b"d"), timeout=10).found
    again = kv.Delete(KV.DeleteRequest(key=b"d"), timeout=10)
    assert not again.deleted


def test_expected_revision_mismatch_is_aborted_with_current_revision(kv):
    r = put(kv, b"occ", b"v1").revision
    put(kv, b"occ", b"v2", expected_revision=r)
    with pytest.raises(grpc.RpcError) as err:
        put(kv, b"occ", b"v3", expected_revision=r)
    assert err.value.code() == grpc.StatusCode.ABORTED
    current = kv.Get(KV.GetRequest(key=b"occ"), timeout=10).kv.mod_revision
    assert str(current) in err.value.details()


def test_expected_revision_zero_means_create_only(kv):
    put(kv, b"once", b"v", expected_revision=0)
    with pytest.raises(grpc.RpcError) as err:
        put(kv, b"once", b"v", expected_revision=0)
    assert err.value.code() == grpc.StatusCode.ABORTED


def test_delete_with_stale_expected_revision_is_aborted(kv):
    r = put(kv, b"dx", b"v1").revision
    put(kv, b"dx", b"v2")
    with pytest.raises(grpc.RpcError) as err:
        kv.Delete(KV.DeleteRequest(key=b"dx", expected_revision=r), timeout=10)
    assert err.value.code() == grpc.StatusCode.ABORTED
    assert kv.Get(KV.GetRequest(key=b"dx"), timeout=10).found


def test_idempotent_retry_returns_first_result_without_writing(kv):
    first = put(kv, b"idem", b"v", idempotency_key="req-1")
    retry = put(kv, b"idem", b"v", idempotency_key="req-1")
    assert retry.revision == first.revision
    assert kv.Get(KV.GetRequest(key=b"idem"), timeout=10).kv.version == 1


def test_range_prefix_limit_count_and_order(kv):
    for name in [b"r/c", b"r/a", b"r/b", b"s/x"]:
        put(kv, name, b"v")
    res = kv.Range(KV.RangeRequest(prefix=b"r/"), timeout=10)
    assert [x.key for x in res.kvs] == [b"r/a", b"r/b", b"r/c"]
    assert res.count == 3 and not res.more
    limited = kv.Range(KV.RangeRequest(prefix=b"r/", limit=2), timeout=10)
    assert [x.key for x in limited.kvs] == [b"r/a", b"r/b"] and limited.more and limited.count == 3
    span = kv.Range(KV.RangeRequest(start=b"r/b", end=b"s/"), timeout=10)
    assert [x.key for x in span.kvs] == [b"r/b", b"r/c"]
    keys_only = kv.Range(KV.RangeRequest(prefix=b"r/", keys_only=True), timeout=10)
    assert all(x.value == b"" for x in keys_only.kvs)


def test_txn_success_branch_is_atomic_with_one_revision(kv):
    r = put(kv, b"acct/a", b"100").revision
    put(kv, b"acct/b", b"0")
    req = KV.TxnRequest(
        compares=[KV.Compare(key=b"acct/a", result=KV.EQUAL, mod_revision=r)],
        success=[
            KV.RequestOp(put=KV.PutRequest(key=b"acct/a", value=b"50")),
            KV.RequestOp(put=KV.PutRequest(key=b"acct/b", value=b"50")),
            KV.RequestOp(get=KV.GetRequest(key=b"acct/a")),
        ],
        failure=[KV.RequestOp(get=KV.GetRequest(key=b"acct/a"))],
    )
    res = kv.Txn(req, timeout=10)
    assert res.succeeded
    assert len(res.responses) == 3
    a = kv.Get(KV.GetRequest(key=b"acct/a"), timeout=10).kv
    b = kv.Get(KV.GetRequest(key=b"acct/b"), timeout=10).kv
    assert a.value == b"50" and b.value == b"50"
    assert a.mod_revision == b.mod_revision == res.revision


def test_txn_failure_branch_writes_nothing_from_success(kv):
    put(kv, b"t/x", b"1")
    res = kv.Txn(
        KV.TxnRequest(
            compares=[KV.Compare(key=b"t/x", result=KV.EQUAL, value=b"other")],
            success=[KV.RequestOp(put=KV.PutRequest(key=b"t/x", value=b"2"))],
            failure=[KV.RequestOp(get=KV.GetRequest(key=b"t/x"))],
        ),
        timeout=10,
    )
    assert not res.succeeded
    assert res.responses[0].get.kv.value == b"1"
    assert kv.Get(KV.GetRequest(key=b"t/x"), timeout=10).kv.value == b"1"


def test_two_mib_value_round_trips(kv):
    value = bytes(range(256)) * (2 * 1024 * 1024 // 256)
    put(kv, b"big", value)
    assert kv.Get(KV.GetRequest(key=b"big"), timeout=30).kv.value == value


def test_thousand_concurrent_calls_all_succeed(kv):
    def one(i):
        put(kv, b"c/%04d" % i, b"v%d" % i)
        return kv.Get(KV.GetRequest(key=b"c/%04d" % i), timeout=30).kv.value

    with ThreadPoolExecutor(max_workers=64) as pool:
        futures = [pool.submit(one, i) for i in range(1000)]
        values = [f.result() for f in futures]
    assert values == [b"v%d" % i for i in range(1000)]
    futures_async = [kv.Get.future(KV.GetRequest(key=b"c/%04d" % i), timeout=30) for i in range(1000)]
    assert all(f.result().found for f in futures_async)
    assert kv.Range(KV.RangeRequest(prefix=b"c/"), timeout=10).count == 1000


def test_ttl_key_expires_and_watchers_see_a_delete(kv):
    put(kv, b"ttl/k", b"v", ttl_ms=300)
    assert kv.Get(KV.GetRequest(key=b"ttl/k"), timeout=10).found
    import time

    deadline = time.time() + 10
    while time.time() < deadline and kv.Get(KV.GetRequest(key=b"ttl/k"), timeout=10).found:
        time.sleep(0.05)
    assert not kv.Get(KV.GetRequest(key=b"ttl/k"), timeout=10).found
