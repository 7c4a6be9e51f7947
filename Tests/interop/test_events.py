"""EventStream through stock grpcio: every method, every error status, subscriptions, groups, restarts."""
import queue
import subprocess
import re
import threading
import time
import uuid

import grpc
import pytest

from conftest import BIN, Node, events_pb2, events_pb2_grpc, kv_pb2, kv_pb2_grpc

EV = events_pb2
KV = kv_pb2


def event(type_="Happened", data=b"{}", id_=None, metadata=None, content_type="application/json"):
    return EV.EventData(id=id_ if id_ is not None else str(uuid.uuid4()), type=type_, data=data,
                        metadata=metadata or {}, content_type=content_type)


def append(stub, stream, events, **expected):
    return stub.Append(EV.AppendRequest(stream=stream, events=events, **expected), timeout=10)


def read(stub, stream, from_revision=0, backwards=False, max_count=0):
    return [r.event for r in stub.Read(EV.ReadRequest(stream=stream, from_revision=from_revision,
                                                      backwards=backwards, max_count=max_count), timeout=30)]


def status_of(call):
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value.code(), info.value.details()


# --- Append and Read ---------------------------------------------------------------------------------------

def test_append_then_read_returns_every_field_in_order(events):
    sent = [event("OrderPlaced", b'{"n":1}', metadata={"tenant": "t1", "trace": "abc"}),
            event("OrderPaid", b"\x00\x01binary", content_type="application/octet-stream")]
    before = int(time.time() * 1000)
    response = append(events, "order-1", sent)
    assert (response.first_revision, response.last_revision) == (0, 1)
    assert response.position > 0 and response.header.revision >= response.position
    got = read(events, "order-1")
    assert [e.revision for e in got] == [0, 1]
    assert got[1].position == response.position and got[0].position == response.position - 1
    for recorded, original in zip(got, sent):
        assert (recorded.stream, recorded.id, recorded.type, recorded.data, dict(recorded.metadata),
                recorded.content_type) == ("order-1", original.id, original.type, original.data,
                                           dict(original.metadata), original.content_type)
        assert before - 5000 <= recorded.recorded_at_unix_ms <= int(time.time() * 1000) + 5000


def test_revisions_continue_per_stream_and_positions_are_global(events, kv):
    a = append(events, "pos-a", [event()])
    kv_rev = kv.Put(KV.PutRequest(key=b"between", value=b"x"), timeout=10).revision
    b = append(events, "pos-b", [event(), event()])
    c = append(events, "pos-a", [event()])
    assert (a.first_revision, b.first_revision, b.last_revision, c.first_revision) == (0, 0, 1, 1)
    assert a.position < kv_rev < b.position - 1 < b.position < c.position


def test_read_backwards_from_the_end_and_max_count(events):
    append(events, "back", [event(data=str(i).encode()) for i in range(10)])
    got = read(events, "back", from_revision=-1, backwards=True, max_count=3)
    assert [e.revision for e in got] == [9, 8, 7]
    assert [e.revision for e in read(events, "back", from_revision=4, max_count=2)] == [4, 5]
    assert [e.revision for e in read(events, "back", from_revision=2, backwards=True)] == [2, 1, 0]


def test_read_all_is_every_stream_in_position_order(events):
    first = append(events, "all-x", [event()]).position
    append(events, "all-y", [event(), event()])
    append(events, "all-x", [event()])
    got = read(events, "$all", from_revision=first)
    assert [(e.stream, e.revision) for e in got][:4] == [("all-x", 0), ("all-y", 0), ("all-y", 1), ("all-x", 1)]
    positions = [e.position for e in got]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


def test_large_read_streams_every_event_in_order(events):
    payload = b"p" * 16384
    for batch in range(8):
        append(events, "big", [event(data=payload + bytes([batch, i])) for i in range(64)])
    got = read(events, "big")
    assert [e.revision for e in got] == list(range(512))
    assert got[-1].data == payload + bytes([7, 63])


def test_empty_ids_get_server_assigned_uuids(events):
    append(events, "ids", [event(id_=""), event(id_="")])
    ids = [e.id for e in read(events, "ids")]
    assert all(uuid.UUID(i) for i in ids) and ids[0] != ids[1]


# --- Expectations --------------------------------------------------------------------------------------------

def test_expected_revision_mismatch_is_aborted_with_the_actual_revision(events):
    append(events, "occ", [event(), event()])
    code, details = status_of(lambda: append(events, "occ", [event()], expected_revision=0))
    assert code == grpc.StatusCode.ABORTED and "occ" in details and re.search(r"\b1\b", details)
    assert append(events, "occ", [event()], expected_revision=1).first_revision == 2


def test_expected_states(events):
    code, _ = status_of(lambda: append(events, "st", [event()], expected_state=EV.STREAM_EXISTS))
    assert code == grpc.StatusCode.ABORTED
    assert append(events, "st", [event()], expected_state=EV.NO_STREAM).first_revision == 0
    code, details = status_of(lambda: append(events, "st", [event()], expected_state=EV.NO_STREAM))
    assert code == grpc.StatusCode.ABORTED and "st" in details
    assert append(events, "st", [event()], expected_state=EV.STREAM_EXISTS).first_revision == 1
    assert append(events, "st", [event()], expected_state=EV.ANY).first_revision == 2


def test_racing_appenders_on_one_expected_revision_exactly_one_wins(node):
    winners, losers = [], []

    def contender(i):
        with node.channel() as ch:
            stub = events_pb2_grpc.EventStreamStub(ch)
            try:
                append(stub, "race", [event(data=str(i).encode())], expected_revision=0)
                winners.append(i)
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.ABORTED
                losers.append(i)

    with node.channel() as ch:
        append(events_pb2_grpc.EventStreamStub(ch), "race", [event()])
        threads = [threading.Thread(target=contender, args=(i,)) for i in range(16)]
        [t.start() for t in threads]
        [t.join(timeout=30) for t in threads]
        assert len(winners) == 1 and len(losers) == 15
        got = read(events_pb2_grpc.EventStreamStub(ch), "race")
        assert [e.revision for e in got] == [0, 1] and got[1].data == str(winners[0]).encode()


# --- Idempotency ---------------------------------------------------------------------------------------------

def test_retried_append_returns_the_original_result_without_writing(events):
    batch = [event(), event()]
    first = append(events, "idem", batch)
    append(events, "idem", [event()])
    again = append(events, "idem", batch)  # ANY: still idempotent
    assert (again.first_revision, again.last_revision, again.position) == (
        first.first_revision, first.last_revision, first.position)
    assert len(read(events, "idem")) == 3


def test_retry_with_a_stale_expected_revision_is_still_idempotent(events):
    batch = [event()]
    first = append(events, "idem-exp", batch, expected_state=EV.NO_STREAM)
    again = append(events, "idem-exp", batch, expected_state=EV.NO_STREAM)
    assert again.position == first.position and len(read(events, "idem-exp")) == 1


def test_partial_id_overlap_is_an_error_and_writes_nothing(events):
    one = event()
    append(events, "overlap", [one])
    code, details = status_of(lambda: append(events, "overlap", [one, event()]))
    assert code == grpc.StatusCode.ALREADY_EXISTS and one.id in details
    assert len(read(events, "overlap")) == 1


def test_same_id_twice_in_one_append_is_invalid(events):
    twice = event()
    code, _ = status_of(lambda: append(events, "dup", [twice, twice]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_concurrent_retries_write_once(node):
    batch = [event(), event(), event()]
    results = []

    def retry():
        with node.channel() as ch:
            results.append(append(events_pb2_grpc.EventStreamStub(ch), "idem-race", batch).position)

    threads = [threading.Thread(target=retry) for _ in range(12)]
    [t.start() for t in threads]
    [t.join(timeout=30) for t in threads]
    assert len(results) == 12 and len(set(results)) == 1
    with node.channel() as ch:
        assert len(read(events_pb2_grpc.EventStreamStub(ch), "idem-race")) == 3


# --- Invalid input -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stream, limit", [("", "stream"), ("$mine", "$"), ("s" * 257, "maxStreamNameBytes")])
def test_invalid_stream_names(events, stream, limit):
    code, details = status_of(lambda: append(events, stream, [event()]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and limit in details


def test_invalid_events(events):
    code, details = status_of(lambda: append(events, "bad", [event(type_="")]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "type" in details
    code, details = status_of(lambda: append(events, "bad", []))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    code, details = status_of(lambda: append(events, "bad", [event(data=b"x" * (1024 * 1024 + 1))]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "maxEventBytes" in details


def test_read_of_an_unknown_stream_is_not_found(events):
    code, details = status_of(lambda: read(events, "never-written"))
    assert code == grpc.StatusCode.NOT_FOUND and "never-written" in details


# --- Subscriptions -------------------------------------------------------------------------------------------

class Collector:
    """Reads a Subscribe stream on a thread; `items` gets ('event', RecordedEvent) and ('caught_up', position)."""

    def __init__(self, stub, request):
        self.call = stub.Subscribe(request, timeout=120)
        self.items = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for response in self.call:
                if response.HasField("event"):
                    self.items.put(("event", response.event))
                else:
                    self.items.put(("caught_up", response.caught_up.position))
        except grpc.RpcError as error:
            self.items.put(("error", error.code()))

    def take(self, count, timeout=30):
        out, deadline = [], time.time() + timeout
        while len(out) < count and time.time() < deadline:
            try:
                out.append(self.items.get(timeout=max(0.01, deadline - time.time())))
            except queue.Empty:
                break
        return out

    def cancel(self):
        self.call.cancel()


def test_subscribe_catches_up_then_goes_live_with_caught_up_between(events):
    append(events, "sub", [event(data=b"0"), event(data=b"1")])
    sub = Collector(events, EV.SubscribeRequest(stream="sub", from_revision=0))
    first = sub.take(3)
    assert [kind for kind, _ in first] == ["event", "event", "caught_up"]
    append(events, "sub", [event(data=b"2")])
    (kind, live), = sub.take(1)
    assert kind == "event" and live.revision == 2 and live.data == b"2"
    sub.cancel()


def test_subscribe_live_only_skips_history(events):
    append(events, "live", [event()])
    sub = Collector(events, EV.SubscribeRequest(stream="live", from_revision=-1))
    assert sub.take(1)[0][0] == "caught_up"
    append(events, "live", [event(data=b"new")])
    (kind, got), = sub.take(1)
    assert kind == "event" and got.revision == 1
    sub.cancel()


def test_subscription_across_catch_up_sees_every_event_once_in_order_while_appends_race(node):
    total = 600
    with node.channel() as ch:
        stub = events_pb2_grpc.EventStreamStub(ch)
        append(stub, "racey", [event(data=str(i).encode()) for i in range(200)])

        def writer():
            with node.channel() as wch:
                wstub = events_pb2_grpc.EventStreamStub(wch)
                for i in range(200, total, 10):
                    append(wstub, "racey", [event(data=str(j).encode()) for j in range(i, i + 10)])

        thread = threading.Thread(target=writer)
        thread.start()
        sub = Collector(stub, EV.SubscribeRequest(stream="racey", from_revision=0))
        got = [e for kind, e in sub.take(total + 1, timeout=60) if kind == "event"]
        thread.join(timeout=60)
        got += [e for kind, e in sub.take(total - len(got), timeout=30) if kind == "event"]
        assert [e.revision for e in got] == list(range(total))
        assert [e.data for e in got] == [str(i).encode() for i in range(total)]
        sub.cancel()


def test_moderated_live_delivery_still_sends_every_event_once_in_order_to_every_subscriber(data_dir):
    """--live-delivery-interval-us batches commits per subscriber; it must not drop, repeat or reorder."""
    node = Node(data_dir, ["--live-delivery-interval-us", "20000"])
    node.start()
    try:
        with node.channel() as ch:
            stub = events_pb2_grpc.EventStreamStub(ch)
            subs = [Collector(stub, EV.SubscribeRequest(stream="moderated", from_revision=-1)) for _ in range(5)]
            for sub in subs:
                assert sub.take(1)[0][0] == "caught_up"
            total = 300
            started = time.time()
            for i in range(0, total, 3):  # 100 commits, each well inside the 20 ms interval of the previous
                append(stub, "moderated", [event(data=str(j).encode()) for j in range(i, i + 3)])
            for sub in subs:
                got = [e for kind, e in sub.take(total, timeout=30) if kind == "event"]
                assert [e.revision for e in got] == list(range(total))
                assert [e.data for e in got] == [str(i).encode() for i in range(total)]
                sub.cancel()
            assert time.time() - started < 30
    finally:
        node.stop()


def test_live_delivery_interval_out_of_range_is_refused(tmp_path):
    run = subprocess.run([BIN, "serve", "--data-dir", str(tmp_path), "--live-delivery-interval-us=2000000"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "--live-delivery-interval-us must be between 0 and 1000000, got 2000000" in run.stderr


def test_subscribe_to_all_with_a_type_prefix(events):
    start = append(events, "tp-1", [event("user.created")]).position
    append(events, "tp-2", [event("order.created"), event("user.deleted")])
    sub = Collector(events, EV.SubscribeRequest(stream="$all", from_revision=start, type_prefix="user."))
    got = sub.take(3)
    assert [(k, e.type if k == "event" else None) for k, e in got] == [
        ("event", "user.created"), ("event", "user.deleted"), ("caught_up", None)]
    sub.cancel()


def rss_bytes(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_stalled_subscriber_costs_bounded_memory_and_slows_nobody(node):
    """A subscriber that never reads (raw HTTP/2, no window updates, socket never drained) while 40 MB of
    history wait for it: node memory grows by at most a batch and the response queue, writers keep going."""
    import socket

    import h2.config
    import h2.connection

    payload = b"h" * 10_000
    with node.channel() as ch:
        stub = events_pb2_grpc.EventStreamStub(ch)
        for i in range(400):
            append(stub, f"hist-{i % 8}", [event(data=payload) for _ in range(10)])
        before = rss_bytes(node.proc.pid)
        sock = socket.create_connection(("127.0.0.1", node.port), timeout=10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        stream_id = conn.get_next_available_stream_id()
        conn.send_headers(stream_id, [(":method", "POST"), (":scheme", "http"), (":authority", node.target),
                                      (":path", "/microstate.v1.EventStream/Subscribe"),
                                      ("content-type", "application/grpc"), ("te", "trailers")])
        body = EV.SubscribeRequest(stream="$all", from_revision=0).SerializeToString()
        conn.send_data(stream_id, b"\x00" + len(body).to_bytes(4, "big") + body, end_stream=True)
        sock.sendall(conn.data_to_send())  # ... and never read again
        try:
            time.sleep(3)
            started = time.monotonic()
            for i in range(50):
                append(stub, "after-stall", [event(data=payload)])
            assert time.monotonic() - started < 20, "writers slowed down by a stalled subscriber"
            grown = rss_bytes(node.proc.pid) - before
            assert grown < 24 * 1024 * 1024, f"node memory grew {grown / 1e6:.1f} MB for one stalled subscriber"
            reader = Collector(stub, EV.SubscribeRequest(stream="after-stall", from_revision=0))
            assert [e.revision for k, e in reader.take(50) if k == "event"] == list(range(50))
            reader.cancel()
        finally:
            sock.close()


# --- Consumer groups -----------------------------------------------------------------------------------------

def test_group_resumes_after_its_checkpoint(events):
    append(events, "grp", [event(data=str(i).encode()) for i in range(5)])
    sub = Collector(events, EV.SubscribeRequest(stream="grp", from_revision=0, group="g1"))
    assert [e.revision for k, e in sub.take(5) if k == "event"] == [0, 1, 2, 3, 4]
    events.Ack(EV.AckRequest(group="g1", stream="grp", revision=2), timeout=10)
    sub.cancel()
    again = Collector(events, EV.SubscribeRequest(stream="grp", from_revision=0, group="g1"))
    assert [e.revision for k, e in again.take(2) if k == "event"] == [3, 4]
    again.cancel()


def test_ack_at_or_below_the_checkpoint_is_a_failed_precondition(events):
    append(events, "ackd", [event(), event()])
    events.Ack(EV.AckRequest(group="g", stream="ackd", revision=1), timeout=10)
    code, details = status_of(lambda: events.Ack(EV.AckRequest(group="g", stream="ackd", revision=1), timeout=10))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "g" in details
    code, _ = status_of(lambda: events.Ack(EV.AckRequest(group="g", stream="ackd", revision=7), timeout=10))
    assert code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.OUT_OF_RANGE)


def test_txn_ack_is_atomic_with_the_read_model_write(events, kv):
    append(events, "txn-ack", [event(), event()])
    ok = kv.Txn(KV.TxnRequest(success=[
        KV.RequestOp(put=KV.PutRequest(key=b"model", value=b"after-0")),
        KV.RequestOp(ack=EV.AckRequest(group="proc", stream="txn-ack", revision=0)),
    ]), timeout=10)
    assert ok.succeeded and ok.responses[1].HasField("ack")
    code, _ = status_of(lambda: kv.Txn(KV.TxnRequest(success=[
        KV.RequestOp(put=KV.PutRequest(key=b"model", value=b"doubled")),
        KV.RequestOp(ack=EV.AckRequest(group="proc", stream="txn-ack", revision=0)),
    ]), timeout=10))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert kv.Get(KV.GetRequest(key=b"model"), timeout=10).kv.value == b"after-0"


def test_group_members_share_streams_and_take_over_when_one_leaves(events):
    streams = [f"share-{i}" for i in range(20)]
    a = Collector(events, EV.SubscribeRequest(stream="$all", from_revision=0, group="sharers", type_prefix="s."))
    b = Collector(events, EV.SubscribeRequest(stream="$all", from_revision=0, group="sharers", type_prefix="s."))
    for s in streams:
        append(events, s, [event("s.step", str(i).encode()) for i in range(5)])
    time.sleep(1.5)
    seen = {"a": [e for k, e in a.take(200, timeout=2) if k == "event"],
            "b": [e for k, e in b.take(200, timeout=2) if k == "event"]}
    owned = {name: {e.stream for e in got} for name, got in seen.items()}
    assert owned["a"] and owned["b"] and not owned["a"] & owned["b"]  # every stream has one owner
    assert owned["a"] | owned["b"] == set(streams)
    for got in seen.values():
        for s in {e.stream for e in got}:
            assert [e.revision for e in got if e.stream == s] == [0, 1, 2, 3, 4]  # ordered per stream
    for s in owned["b"]:
        events.Ack(EV.AckRequest(group="sharers", stream=s, revision=4), timeout=10)
    a.cancel()  # leaves without acknowledging anything: b takes its streams over from their checkpoints
    taken = [e for k, e in b.take(5 * len(owned["a"]), timeout=20) if k == "event"]
    time.sleep(0.5)
    taken += [e for k, e in b.take(100, timeout=1) if k == "event"]  # nothing more: b's own are acknowledged
    assert {e.stream for e in taken} == owned["a"]
    for s in owned["a"]:
        assert [e.revision for e in taken if e.stream == s] == [0, 1, 2, 3, 4]
    b.cancel()


# --- Snapshots, metadata, delete -----------------------------------------------------------------------------

def test_aggregate_snapshot_save_and_load(events):
    append(events, "agg", [event(), event(), event()])
    assert not events.LoadSnapshot(EV.LoadSnapshotRequest(stream="agg"), timeout=10).found
    events.SaveSnapshot(EV.SaveSnapshotRequest(stream="agg", revision=1, state=b"state@1"), timeout=10)
    loaded = events.LoadSnapshot(EV.LoadSnapshotRequest(stream="agg"), timeout=10)
    assert (loaded.found, loaded.revision, loaded.state) == (True, 1, b"state@1")
    tail = read(events, "agg", from_revision=loaded.revision + 1)
    assert [e.revision for e in tail] == [2]
    code, _ = status_of(lambda: events.SaveSnapshot(
        EV.SaveSnapshotRequest(stream="agg", revision=9, state=b"x"), timeout=10))
    assert code == grpc.StatusCode.FAILED_PRECONDITION


def test_stream_metadata_max_count_hides_older_events(events):
    append(events, "meta", [event() for _ in range(5)])
    events.SetStreamMetadata(EV.SetStreamMetadataRequest(stream="meta", metadata=EV.StreamMetadata(max_count=2)),
                             timeout=10)
    info = events.GetStreamMetadata(EV.GetStreamMetadataRequest(stream="meta"), timeout=10)
    assert (info.metadata.max_count, info.last_revision, info.deleted) == (2, 4, False)
    assert [e.revision for e in read(events, "meta")] == [3, 4]
    events.SetStreamMetadata(EV.SetStreamMetadataRequest(
        stream="meta", metadata=EV.StreamMetadata(truncate_before=4)), timeout=10)
    assert [e.revision for e in read(events, "meta")] == [4]


def test_soft_delete_then_append_continues_revisions(events):
    append(events, "soft", [event(), event()])
    events.DeleteStream(EV.DeleteStreamRequest(stream="soft"), timeout=10)
    assert read(events, "soft") == []  # truncated to its end: empty, not an error
    assert events.GetStreamMetadata(EV.GetStreamMetadataRequest(stream="soft"), timeout=10).deleted
    assert append(events, "soft", [event()]).first_revision == 2
    assert [e.revision for e in read(events, "soft")] == [2]


def test_hard_delete_is_forever(events):
    append(events, "hard", [event()])
    events.DeleteStream(EV.DeleteStreamRequest(stream="hard", hard=True), timeout=10)
    code, _ = status_of(lambda: append(events, "hard", [event()]))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    code, _ = status_of(lambda: read(events, "hard"))
    assert code == grpc.StatusCode.NOT_FOUND
    info = events.GetStreamMetadata(EV.GetStreamMetadataRequest(stream="hard"), timeout=10)
    assert info.hard_deleted


def test_delete_with_a_wrong_expectation_is_aborted(events):
    append(events, "del-exp", [event()])
    code, _ = status_of(lambda: events.DeleteStream(
        EV.DeleteStreamRequest(stream="del-exp", expected_revision=5), timeout=10))
    assert code == grpc.StatusCode.ABORTED


# --- Durability across kill -9 -------------------------------------------------------------------------------

def test_events_groups_and_snapshots_survive_kill_9(data_dir):
    node = Node(data_dir).start()
    try:
        with node.channel() as ch:
            stub = events_pb2_grpc.EventStreamStub(ch)
            batch = [event(data=str(i).encode()) for i in range(20)]
            first = append(stub, "durable", batch)
            stub.Ack(EV.AckRequest(group="g", stream="durable", revision=9), timeout=10)
            stub.SaveSnapshot(EV.SaveSnapshotRequest(stream="durable", revision=5, state=b"s5"), timeout=10)
        node.kill()
        node = Node(data_dir).start()
        with node.channel() as ch:
            stub = events_pb2_grpc.EventStreamStub(ch)
            assert [e.data for e in read(stub, "durable")] == [str(i).encode() for i in range(20)]
            assert append(stub, "durable", batch).position == first.position  # id window survived
            assert stub.LoadSnapshot(EV.LoadSnapshotRequest(stream="durable"), timeout=10).state == b"s5"
            sub = Collector(stub, EV.SubscribeRequest(stream="durable", from_revision=0, group="g"))
            assert [e.revision for k, e in sub.take(10) if k == "event"] == list(range(10, 20))
            sub.cancel()
    finally:
        node.stop()


def fold(node):
    """One processor run: folds 'add' events into KV sums with Txn(compare + put + ack) until caught up or the
    node dies. Returns how many events it applied."""
    applied = 0
    try:
        with node.channel() as ch:
            stub, kvs = events_pb2_grpc.EventStreamStub(ch), kv_pb2_grpc.KVStub(ch)
            request = EV.SubscribeRequest(stream="$all", from_revision=0, group="fold", type_prefix="add")
            for response in stub.Subscribe(request, timeout=60):
                if not response.HasField("event"):
                    return applied  # caught up: everything so far is processed
                e = response.event
                key = ("sum/" + e.stream).encode()
                while True:
                    current = kvs.Get(KV.GetRequest(key=key), timeout=10)
                    total = int(current.kv.value or b"0") + int(e.data)
                    compare = KV.Compare(key=key, result=KV.EQUAL, mod_revision=current.kv.mod_revision)
                    try:
                        txn = kvs.Txn(KV.TxnRequest(compares=[compare], success=[
                            KV.RequestOp(put=KV.PutRequest(key=key, value=str(total).encode())),
                            KV.RequestOp(ack=EV.AckRequest(group="fold", stream=e.stream, revision=e.revision)),
                        ]), timeout=10)
                    except grpc.RpcError as error:
                        if error.code() != grpc.StatusCode.FAILED_PRECONDITION:
                            raise
                        break  # already acknowledged: its effect is in the sum, never apply it twice
                    if txn.succeeded:
                        applied += 1
                        break
    except grpc.RpcError:
        pass  # the node was killed under us
    return applied


def test_group_processor_has_exactly_once_effects_across_node_kills(data_dir):
    """A processor folds 3 streams into KV sums with Txn(put + ack) while the node is SIGKILLed twice under it."""
    streams, per_stream = ["ex-a", "ex-b", "ex-c"], 60
    node = Node(data_dir).start()
    try:
        with node.channel() as ch:
            stub = events_pb2_grpc.EventStreamStub(ch)
            for i in range(per_stream):
                for s in streams:
                    append(stub, s, [event("add", str(i + 1).encode())])
        kills = 0
        for delay in (0.4, 0.8):
            killer = threading.Timer(delay, node.kill)
            killer.start()
            fold(node)
            killer.join()
            kills += 1
            node = Node(data_dir).start()
        fold(node)
        assert kills == 2
        with node.channel() as ch:
            kvs = kv_pb2_grpc.KVStub(ch)
            expected = str(sum(range(1, per_stream + 1))).encode()
            for s in streams:
                assert kvs.Get(KV.GetRequest(key=("sum/" + s).encode()), timeout=10).kv.value == expected
    finally:
        node.stop()


# --- Node-level limits, malformed input, shutdown -----------------------------------------------------------

def test_subscription_limit_is_resource_exhausted(data_dir):
    node = Node(data_dir, ["--max-subscriptions", "2", "--max-event-bytes", "1000"]).start()
    try:
        with node.channel() as ch:
            stub = events_pb2_grpc.EventStreamStub(ch)
            append(stub, "lim", [event(data=b"x" * 500)])
            code, details = status_of(lambda: append(stub, "lim", [event(data=b"x" * 2000)]))
            assert code == grpc.StatusCode.INVALID_ARGUMENT and "maxEventBytes" in details
            held = [Collector(stub, EV.SubscribeRequest(stream="lim", from_revision=0)) for _ in range(2)]
            for sub in held:
                assert [k for k, _ in sub.take(2)] == ["event", "caught_up"]
            third = Collector(stub, EV.SubscribeRequest(stream="lim", from_revision=0))
            (kind, code), = third.take(1)
            assert kind == "error" and code == grpc.StatusCode.RESOURCE_EXHAUSTED
            held[0].cancel()
            time.sleep(0.3)
            again = Collector(stub, EV.SubscribeRequest(stream="lim", from_revision=0))
            assert [k for k, _ in again.take(2)] == ["event", "caught_up"]  # a freed slot is reusable
            again.cancel()
            held[1].cancel()
    finally:
        node.stop()


def test_malformed_append_is_invalid_argument_and_the_node_keeps_serving(channel, events):
    call = channel.unary_unary("/microstate.v1.EventStream/Append", request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as info:
        call(b"\x0a\xff\xff\xff\xff\x0f", timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "AppendRequest" in info.value.details()
    assert append(events, "after-garbage", [event()]).first_revision == 0


def test_shutdown_ends_subscriptions_with_unavailable(data_dir):
    node = Node(data_dir).start()
    try:
        with node.channel() as ch:
            stub = events_pb2_grpc.EventStreamStub(ch)
            append(stub, "bye", [event()])
            sub = Collector(stub, EV.SubscribeRequest(stream="bye", from_revision=0))
            assert [k for k, _ in sub.take(2)] == ["event", "caught_up"]
            assert node.terminate() == 0
            (kind, code), = sub.take(1)
            assert kind == "error" and code == grpc.StatusCode.UNAVAILABLE
    finally:
        node.stop()


def test_events_beyond_the_memory_window_are_read_back_from_the_archive(data_dir):
    import urllib.request

    def archived(n):
        text = urllib.request.urlopen(f"http://127.0.0.1:{n.admin_port}/metrics", timeout=10).read().decode()
        return int(next(line.split()[1] for line in text.splitlines() if line.startswith("microstatedb_events_archived ")))

    node = Node(data_dir, ["--event-memory-window", "100"]).start()
    try:
        with node.channel() as ch:
            stub = events_pb2_grpc.EventStreamStub(ch)
            for batch in range(100):
                append(stub, f"arc-{batch % 3}", [event(data=b"%d-%d" % (batch, i)) for i in range(100)])
            deadline = time.time() + 30
            while archived(node) == 0 and time.time() < deadline:
                time.sleep(0.2)
            assert archived(node) >= 4096, "events beyond the window were not archived"
            everything = read(stub, "$all")
            assert len(everything) == 10_000 and [e.position for e in everything] == sorted(e.position for e in everything)
            first = [e.data for e in read(stub, "arc-0")]
        node.kill()
        node = Node(data_dir, ["--event-memory-window", "100"]).start()
        with node.channel() as ch:
            stub = events_pb2_grpc.EventStreamStub(ch)
            assert [e.data for e in read(stub, "arc-0")] == first
            assert [e.revision for e in read(stub, "arc-1", from_revision=-1, backwards=True, max_count=3)] == [3299, 3298, 3297]
    finally:
        node.stop()
