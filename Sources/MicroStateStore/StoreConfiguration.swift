/// How a `KVStore` is set up.
public struct StoreConfiguration: Sendable {
    /// Bounds on requests and memory.
    public var limits: StoreLimits
    /// A snapshot is taken after this many log records since the last one. Default 100,000: bounds
    /// recovery replay to about a second. 0 disables automatic snapshots.
    public var compactAfterRecords: Int
    /// This node's id, reported in metrics.
    public var nodeID: UInt64

    /// Creates a configuration; every argument has the documented default.
    public init(limits: StoreLimits = StoreLimits(), compactAfterRecords: Int = 100_000, nodeID: UInt64 = 0) {
        self.limits = limits
        self.compactAfterRecords = compactAfterRecords
        self.nodeID = nodeID
    }
}
