/// The store's encoding of one archived event: everything but its position, stream and revision, which the archive
/// keeps itself (`StoreArchivedEvent`). Built with the record encoding helpers (`ByteWriter`, `ByteReader`):
///
///     payload = format:u8 (= 1) recordedAt:zigzag id:bytes type:bytes contentType:bytes data:bytes
///               metadataCount:varint (key:bytes value:bytes){metadataCount}   metadata sorted by key
///
/// `recordedAt` comes first so that a max-age scavenge can read it without decoding the rest.
enum EventPayload {
    static let formatVersion: UInt8 = 1

    static func encode(_ event: EventLog.Event) -> [UInt8] {
        var writer = ByteWriter(capacity: self.bound(event.data))
        writer.byte(Self.formatVersion)
        writer.zigzag(event.recordedAt)
        writer.string(event.data.id)
        writer.string(event.data.type)
        writer.string(event.data.contentType)
        writer.bytes(event.data.data)
        writer.varint(UInt64(event.data.metadata.count))
        for (key, value) in event.data.metadata.sorted(by: { $0.key < $1.key }) {
            writer.string(key)
            writer.string(value)
        }
        return writer.buffer
    }

    /// An upper bound of the encoded size: the event's counted size plus the largest framing (one byte of format,
    /// at most ten per varint).
    static func bound(_ data: StoreEventData) -> Int {
        KVStore.eventSize(data) + 1 + 10 * 6 + 20 * data.metadata.count
    }

    /// Decodes a payload; `what` names the event in the error (built only then: decoding runs per archived event).
    static func decode(_ payload: [UInt8], what: @autoclosure () -> String) throws(StoreError) -> (
        recordedAt: Int64, data: StoreEventData
    ) {
        let result: Result<(Int64, StoreEventData), StoreError> = payload.withUnsafeBytes { bytes in
            Result { () throws(StoreError) in
                var reader = ByteReader(bytes, what: "the event payload")
                let format = try reader.byte()
                guard format == Self.formatVersion else {
                    throw StoreError.corrupt("the event payload has format \(format); this build reads 1")
                }
                let recordedAt = try reader.zigzag()
                let id = try reader.string()
                let type = try reader.string()
                let contentType = try reader.string()
                let data = try reader.bytes()
                let count = try reader.count(limit: bytes.count)
                var metadata: [String: String] = [:]
                if count > 0 {
                    metadata.reserveCapacity(count)
                    for _ in 0..<count {
                        let key = try reader.string()
                        metadata[key] = try reader.string()
                    }
                }
                guard reader.isAtEnd else {
                    throw StoreError.corrupt("the event payload has trailing bytes")
                }
                let event = StoreEventData(id: id, type: type, data: data, metadata: metadata, contentType: contentType)
                return (recordedAt, event)
            }
        }
        switch result {
        case .success(let decoded):
            return decoded
        case .failure(let error):
            throw StoreError.corrupt("\(what()): \(error.message)")
        }
    }

    /// The recorded time alone, nil when the payload does not start like one of ours.
    static func recordedAt(_ payload: [UInt8]) -> Int64? {
        payload.withUnsafeBytes { bytes in
            var reader = ByteReader(bytes, what: "event payload")
            guard (try? reader.byte()) == Self.formatVersion else {
                return nil
            }
            return try? reader.zigzag()
        }
    }
}
