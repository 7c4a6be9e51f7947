internal import MicroStateProtos

/// Scaffold: replaced by the wire mapping.
enum WireScaffold {
    static func touch() {
        var m = Microstate__V1__PutRequest()
        microstate__v1__put_request__init(&m)
    }
}
