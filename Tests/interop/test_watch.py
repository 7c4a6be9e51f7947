"""Watch: replay, live events, cancel and resume by revision, compaction."""
import queue
import threading

import grpc

from conftest import kv_pb2

KV = kv_pb2


def collect(stream, out, stop_after):
    try:
        for response in stream:
            for event in response.events:
                out.put(event)
                if out.qsize() >= stop_after:
                    return
    except grpc.RpcError:
        pass


def test_watch_replays_from_start_revision_then_streams_live(kv):
    r1 = kv.Put(KV.PutRequest(key=b"w/a", value=b"1"), timeout=10).revision
    kv.Put(KV.PutRequest(key=b"w/b", value=b"2"), timeout=10)
    stream = kv.Watch(KV.WatchRequest(key=b"w/", prefix=True, start_revision=r1), timeout=30)
    events = queue.Queue()
    thread = threading.Thread(target=collect, args=(stream, events, 4), daemon=True)
    thread.start()
    kv.Put(KV.PutRequest(key=b"w/c", value=b"3"), timeout=10)
    kv.Delete(KV.DeleteRequest(key=b"w/a"), timeout=10)
    thread.join(timeout=20)
    got = [events.get_nowait() for _ in range(events.qsize())]
    assert [(e.type, e.kv.key) for e in got] == [
        (KV.PUT, b"w/a"), (KV.PUT, b"w/b"), (KV.PUT, b"w/c"), (KV.DELETE, b"w/a"),
    ]
    revisions = [e.kv.mod_revision for e in got]
    assert revisions == sorted(revisions)
    stream.cancel()


def test_watch_first_response_confirms_registration(kv):
    stream = kv.Watch(KV.WatchRequest(key=b"reg"), timeout=30)
    first = next(stream)
    assert len(first.events) == 0 and first.header.revision >= 0
    kv.Put(KV.PutRequest(key=b"reg", value=b"x"), timeout=10)
    second = next(stream)
    assert second.events[0].kv.value == b"x"
    stream.cancel()


def test_watch_cancel_then_resume_by_revision_misses_nothing(kv):
    stream = kv.Watch(KV.WatchRequest(key=b"res/", prefix=True), timeout=30)
    next(stream)  # registered
    kv.Put(KV.PutRequest(key=b"res/1", value=b"a"), timeout=10)
    seen = next(stream).events[0]
    stream.cancel()
    # Writes while nobody watches.
    kv.Put(KV.PutRequest(key=b"res/2", value=b"b"), timeout=10)
    kv.Put(KV.PutRequest(key=b"res/3", value=b"c"), timeout=10)
    resumed = kv.Watch(KV.WatchRequest(key=b"res/", prefix=True, start_revision=seen.kv.mod_revision + 1), timeout=30)
    keys = []
    for response in resumed:
        keys += [e.kv.key for e in response.events]
        if len(keys) >= 2:
            break
    resumed.cancel()
    assert keys == [b"res/2", b"res/3"]


def test_watch_from_compacted_revision_answers_compacted(node_small_history):
    node, kv = node_small_history
    for i in range(30):
        kv.Put(KV.PutRequest(key=b"k", value=b"%d" % i), timeout=10)
    stream = kv.Watch(KV.WatchRequest(key=b"k", start_revision=1), timeout=30)
    responses = list(stream)
    assert any(r.compacted and r.compact_revision > 1 for r in responses)


def test_slow_watcher_never_stalls_writers_and_resumes_without_loss(kv):
    """A watcher that stops reading is ended (bounded memory), writers keep their pace, resume loses nothing."""
    import time

    stream = kv.Watch(KV.WatchRequest(key=b"slow/", prefix=True), timeout=120)
    next(stream)  # registered; from here on this client reads nothing
    value = b"x" * 8192
    started = time.monotonic()
    revisions = [kv.Put(KV.PutRequest(key=b"slow/%05d" % i, value=value), timeout=10).revision for i in range(2500)]
    write_seconds = time.monotonic() - started
    assert write_seconds < 60, f"writers slowed down by a stalled watcher ({write_seconds:.1f}s for 2500 puts)"

    seen, error = [], None
    try:
        for response in stream:
            seen += [e.kv.mod_revision for e in response.events]
    except grpc.RpcError as rpc_error:
        error = rpc_error
    # ~20 MB of events cannot all be buffered for a client that does not read (per-watch bound: 8 MiB).
    assert error is not None and error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
    assert "start_revision=" in error.details()
    resume_from = int(error.details().rsplit("start_revision=", 1)[1].split()[0].strip(".;,"))
    assert seen == revisions[: len(seen)], "events before the overflow arrive in order, none skipped"
    assert resume_from == (seen[-1] + 1 if seen else revisions[0])

    resumed = kv.Watch(KV.WatchRequest(key=b"slow/", prefix=True, start_revision=resume_from), timeout=60)
    rest = []
    for response in resumed:
        rest += [e.kv.mod_revision for e in response.events]
        if rest and rest[-1] == revisions[-1]:
            break
    resumed.cancel()
    assert seen + rest == revisions
