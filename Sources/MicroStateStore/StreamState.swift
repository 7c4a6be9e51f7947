/// A value that changes at revisions and is read as of a revision: the durable view of stream settings,
/// aggregate snapshots and group checkpoints (ADR 0001: writes apply at once, readers see durable state only).
///
/// Holds the changes no read can skip yet: every change above `floor` (not durable, or newer than a snapshot
/// being written) and the newest at or below it. Usually one entry.
struct Versioned<Value> {
    private var changes: [(revision: Int64, value: Value)] = []

    /// The newest value, durable or not (what writers validate against).
    var latest: Value? { self.changes.last?.value }

    /// Whether no change was ever recorded.
    var isEmpty: Bool { self.changes.isEmpty }

    /// The value as of `revision`: the newest change at or below it.
    func at(_ revision: Int64) -> Value? {
        var index = self.changes.count - 1
        while index >= 0 {
            if self.changes[index].revision <= revision {
                return self.changes[index].value
            }
            index -= 1
        }
        return nil
    }

    /// Records `value` as of `revision` (at or after the last change), then forgets changes that no read at or
    /// after `floor` can see.
    mutating func set(_ value: Value, at revision: Int64, floor: Int64) {
        if let last = self.changes.last {
            precondition(last.revision <= revision, "changes must come in revision order")
            if last.revision == revision {
                self.changes[self.changes.count - 1].value = value
            } else {
                self.changes.append((revision, value))
            }
        } else {
            self.changes.append((revision, value))
        }
        var newestAtFloor = -1
        var index = self.changes.count - 1
        while index >= 0 {
            if self.changes[index].revision <= floor {
                newestAtFloor = index
                break
            }
            index -= 1
        }
        if newestAtFloor > 0 {
            self.changes.removeFirst(newestAtFloor)
        }
    }
}

/// A stream's settings as one versioned value: retention metadata and deletion flags.
struct StreamSettings: Equatable {
    var metadata = StoreStreamMetadata()
    /// Soft-deleted: set by a soft delete, cleared by the next append.
    var deleted = false
    /// Hard-deleted: a tombstone forever.
    var hardDeleted = false
}

/// Everything the store keeps about one stream besides its events (which `EventLog` holds). Lock-guarded.
final class StreamState {
    /// The stream's id in `EventLog` and the store's stream table.
    let id: Int
    let name: String
    var settings = Versioned<StreamSettings>()
    /// The latest aggregate snapshot; a nil value = removed (by a hard delete).
    var snapshot = Versioned<StoreAggregateSnapshot?>()
    /// Live subscriptions to this stream.
    var subscriptions: [StoreSubscription] = []

    init(id: Int, name: String) {
        self.id = id
        self.name = name
    }
}

/// A consumer group: its checkpoints and live members. Lock-guarded.
final class GroupState {
    let name: String
    /// Stream id → the last stream revision acknowledged.
    var checkpoints: [Int: Versioned<Int64>] = [:]
    /// Live subscriptions of the group, in join order.
    var members: [StoreSubscription] = []

    init(name: String) {
        self.name = name
    }

    /// The member owning `stream`: rendezvous (highest random weight) hashing over the members, so a join or
    /// leave moves only the streams it must. Nil without members.
    func owner(of stream: String) -> StoreSubscription? {
        var best: StoreSubscription? = nil
        var bestWeight: UInt64 = 0
        for member in self.members {
            let weight = Rendezvous.weight(stream: stream, member: member.id)
            if best == nil || weight > bestWeight || (weight == bestWeight && member.id < best!.id) {
                best = member
                bestWeight = weight
            }
        }
        return best
    }
}

/// Where an event id was written, for idempotent appends (ADR 0004 §4).
struct EventIDEntry {
    var stream: Int
    var revision: Int64
    var position: Int64
    var timeMilliseconds: Int64
}

/// A stream as a reader sees it at one revision: which of its events are visible.
struct StreamView {
    var hardDeleted: Bool
    /// The lowest visible revision (truncate-before, soft delete, max count).
    var lowest: Int64
    /// The last revision at the view's revision; -1 = none.
    var last: Int64
    /// Events recorded before this time are hidden (max age); `Int64.min` = none.
    var ageCutoff: Int64

    @inline(__always)
    func isVisible(_ event: EventLog.Event) -> Bool {
        !self.hardDeleted && event.revision >= self.lowest && event.revision <= self.last
            && event.recordedAt >= self.ageCutoff
    }
}

/// The stable hash behind group ownership: FNV-1a 64 over the stream name, a zero byte and the member id in
/// decimal, finished with SplitMix64's mixer (FNV alone barely changes its high bits for ids that differ in
/// their last digit, which would hand most streams to one member). Not Swift's `Hasher`, which is seeded per
/// process.
enum Rendezvous {
    static func weight(stream: String, member: Int) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01B3
        for byte in stream.utf8 {
            hash = (hash ^ UInt64(byte)) &* prime
        }
        hash = (hash ^ 0) &* prime
        for byte in String(member).utf8 {
            hash = (hash ^ UInt64(byte)) &* prime
        }
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 31)
    }
}
