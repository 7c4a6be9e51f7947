internal import CNGHTTP2
enum H2Scaffold { static func v() -> Int32 { nghttp2_version(0).pointee.version_num } }
