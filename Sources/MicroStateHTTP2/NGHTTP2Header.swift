internal import CNGHTTP2

/// One header field to send. Names and values given as `StaticString` are handed to nghttp2 without a
/// copy (`NGHTTP2_NV_FLAG_NO_COPY_*`, they live forever); `String`s are copied by nghttp2 at submission.
public struct HTTP2Header: Sendable {
    @usableFromInline
    enum Text: Sendable {
        case constant(StaticString)
        case string(String)
    }

    @usableFromInline let name: Text
    @usableFromInline let value: Text

    @inlinable
    public init(_ name: StaticString, _ value: StaticString) {
        self.name = .constant(name)
        self.value = .constant(value)
    }

    @inlinable
    public init(_ name: StaticString, _ value: String) {
        self.name = .constant(name)
        self.value = .string(value)
    }

    /// A field with a dynamic name: it must be lower-case ASCII (RFC 9113 §8.2.1).
    @inlinable
    public init(name: String, value: String) {
        self.name = .string(name)
        self.value = .string(value)
    }
}

/// Builds an `nghttp2_nv` array for `headers` and calls `body` with it. Dynamic strings are copied into one
/// scratch area that lives for the call; nghttp2 copies them itself during `nghttp2_submit_*`.
func withNGHTTP2NameValues<R>(
    _ headers: [HTTP2Header],
    _ body: (UnsafePointer<nghttp2_nv>, Int) -> R
) -> R {
    var scratchBytes = 0
    for header in headers {
        if case .string(let text) = header.name { scratchBytes += text.utf8.count }
        if case .string(let text) = header.value { scratchBytes += text.utf8.count }
    }
    // Header blocks are small: the scratch space lives on the stack (the allocation helper falls back to the
    // heap only for large sizes), so a response costs no malloc here.
    return withUnsafeTemporaryAllocation(byteCount: max(scratchBytes, 1), alignment: 1) { scratch in
        var used = 0
        func place(_ text: HTTP2Header.Text, noCopyFlag: UInt8, flags: inout UInt8) -> (UnsafeMutablePointer<UInt8>, Int) {
            switch text {
            case .constant(let constant):
                flags |= noCopyFlag
                return (UnsafeMutablePointer(mutating: constant.utf8Start), constant.utf8CodeUnitCount)
            case .string(let string):
                let start = scratch.baseAddress! + used
                let count = string.utf8.count
                UnsafeMutableRawBufferPointer(start: start, count: count).copyBytes(from: string.utf8)
                used += count
                return (start.assumingMemoryBound(to: UInt8.self), count)
            }
        }
        return withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(headers.count, 1)) { nva in
            let noCopyName = UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue)
            let noCopyValue = UInt8(NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue)
            for (index, header) in headers.enumerated() {
                var flags: UInt8 = 0
                let name = place(header.name, noCopyFlag: noCopyName, flags: &flags)
                let value = place(header.value, noCopyFlag: noCopyValue, flags: &flags)
                nva[index] = nghttp2_nv(name: name.0, value: value.0, namelen: name.1, valuelen: value.1, flags: flags)
            }
            return body(UnsafePointer(nva.baseAddress!), headers.count)
        }
    }
}
