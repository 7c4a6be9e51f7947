// The Protocol Buffers well-known type files, embedded so Protobuf schemas may import them without registry
// references, as Confluent's clients and server allow. Texts from Debian's libprotobuf-dev 3.21.12
// (/usr/include/google/protobuf/*.proto) with comment-only lines removed; the declarations are unchanged.
// The original notice, which applies to every embedded text:
//
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
//
// Redistribution and use in source and binary forms, with or without
// modification, are permitted provided that the following conditions are
// met:
//
//     * Redistributions of source code must retain the above copyright
// notice, this list of conditions and the following disclaimer.
//     * Redistributions in binary form must reproduce the above
// copyright notice, this list of conditions and the following disclaimer
// in the documentation and/or other materials provided with the
// distribution.
//     * Neither the name of Google Inc. nor the names of its
// contributors may be used to endorse or promote products derived from
// this software without specific prior written permission.
//
// THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
// "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
// LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
// A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
// OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
// SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
// LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
// DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
// THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
// (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
// OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.

/// The texts of the well-known `google/protobuf/*.proto` files by import path, and the import maps that use them.
///
/// Confluent treats these files as built in: confluent-kafka's `ProtobufSerializer` does not register them as
/// references (`skip.known.types`) and its deserializers take them from protobuf's default descriptor pool, so a
/// schema importing `google/protobuf/timestamp.proto` arrives with no reference for it. A reference with the same
/// import path always wins over the built-in text.
public enum ProtobufWellKnownTypes {
    /// The embedded files by import path (`google/protobuf/timestamp.proto`): any, api, descriptor, duration,
    /// empty, field_mask, source_context, struct, timestamp, type and wrappers.
    public static let files: [String: String] = [
        "google/protobuf/any.proto": anyProto,
        "google/protobuf/api.proto": apiProto,
        "google/protobuf/descriptor.proto": descriptorProto,
        "google/protobuf/duration.proto": durationProto,
        "google/protobuf/empty.proto": emptyProto,
        "google/protobuf/field_mask.proto": fieldMaskProto,
        "google/protobuf/source_context.proto": sourceContextProto,
        "google/protobuf/struct.proto": structProto,
        "google/protobuf/timestamp.proto": timestampProto,
        "google/protobuf/type.proto": typeProto,
        "google/protobuf/wrappers.proto": wrappersProto,
    ]

    /// `imports` (import path → text, from a schema's references) plus the built-in files that `text` or those
    /// texts import, directly or through a built-in file, and that `imports` does not hold.
    ///
    /// References win: a path present in `imports` is never replaced, and what its text imports is followed
    /// instead of the built-in's imports. Texts that fail to parse contribute no imports here; the parse that
    /// follows reports them. Bounded: each path is visited once, and the paths are those of `imports` and
    /// ``files`` plus the unknown ones the visited texts name.
    public static func addingBuiltIns(importedBy text: String, to imports: [String: String]) -> [String: String] {
        var result = imports
        var visited = Set<String>()
        var pending = Self.importPaths(of: text)
        while let path = pending.popLast() {
            guard visited.insert(path).inserted else { continue }
            if let given = imports[path] {
                pending += Self.importPaths(of: given)
            } else if let builtIn = Self.files[path] {
                result[path] = builtIn
                pending += Self.builtInImports[path] ?? []
            }
        }
        return result
    }

    /// What each built-in file imports (api imports source_context and type; type imports any and
    /// source_context), parsed once.
    private static let builtInImports: [String: [String]] = Self.files.mapValues { Self.importPaths(of: $0) }

    private static func importPaths(of text: String) -> [String] {
        guard let file = try? ProtoParser.parse(text) else { return [] }
        return file.imports.map(\.path)
    }
}

/// `google/protobuf/any.proto`.
private let anyProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto3";

package google.protobuf;

option csharp_namespace = "Google.Protobuf.WellKnownTypes";
option go_package = "google.golang.org/protobuf/types/known/anypb";
option java_package = "com.google.protobuf";
option java_outer_classname = "AnyProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";

message Any {
  string type_url = 1;

  bytes value = 2;
}
"""#

/// `google/protobuf/api.proto`.
private let apiProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto3";

package google.protobuf;

import "google/protobuf/source_context.proto";
import "google/protobuf/type.proto";

option csharp_namespace = "Google.Protobuf.WellKnownTypes";
option java_package = "com.google.protobuf";
option java_outer_classname = "ApiProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";
option go_package = "google.golang.org/protobuf/types/known/apipb";

message Api {
  string name = 1;

  repeated Method methods = 2;

  repeated Option options = 3;

  string version = 4;

  SourceContext source_context = 5;

  repeated Mixin mixins = 6;

  Syntax syntax = 7;
}

message Method {
  string name = 1;

  string request_type_url = 2;

  bool request_streaming = 3;

  string response_type_url = 4;

  bool response_streaming = 5;

  repeated Option options = 6;

  Syntax syntax = 7;
}

message Mixin {
  string name = 1;

  string root = 2;
}
"""#

/// `google/protobuf/descriptor.proto`.
private let descriptorProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto2";

package google.protobuf;

option go_package = "google.golang.org/protobuf/types/descriptorpb";
option java_package = "com.google.protobuf";
option java_outer_classname = "DescriptorProtos";
option csharp_namespace = "Google.Protobuf.Reflection";
option objc_class_prefix = "GPB";
option cc_enable_arenas = true;

option optimize_for = SPEED;

message FileDescriptorSet {
  repeated FileDescriptorProto file = 1;
}

message FileDescriptorProto {
  optional string name = 1;     // file name, relative to root of source tree
  optional string package = 2;  // e.g. "foo", "foo.bar", etc.

  repeated string dependency = 3;
  repeated int32 public_dependency = 10;
  repeated int32 weak_dependency = 11;

  repeated DescriptorProto message_type = 4;
  repeated EnumDescriptorProto enum_type = 5;
  repeated ServiceDescriptorProto service = 6;
  repeated FieldDescriptorProto extension = 7;

  optional FileOptions options = 8;

  optional SourceCodeInfo source_code_info = 9;

  optional string syntax = 12;
}

message DescriptorProto {
  optional string name = 1;

  repeated FieldDescriptorProto field = 2;
  repeated FieldDescriptorProto extension = 6;

  repeated DescriptorProto nested_type = 3;
  repeated EnumDescriptorProto enum_type = 4;

  message ExtensionRange {
    optional int32 start = 1;  // Inclusive.
    optional int32 end = 2;    // Exclusive.

    optional ExtensionRangeOptions options = 3;
  }
  repeated ExtensionRange extension_range = 5;

  repeated OneofDescriptorProto oneof_decl = 8;

  optional MessageOptions options = 7;

  message ReservedRange {
    optional int32 start = 1;  // Inclusive.
    optional int32 end = 2;    // Exclusive.
  }
  repeated ReservedRange reserved_range = 9;
  repeated string reserved_name = 10;
}

message ExtensionRangeOptions {
  repeated UninterpretedOption uninterpreted_option = 999;

  extensions 1000 to max;
}

message FieldDescriptorProto {
  enum Type {
    TYPE_DOUBLE = 1;
    TYPE_FLOAT = 2;
    TYPE_INT64 = 3;
    TYPE_UINT64 = 4;
    TYPE_INT32 = 5;
    TYPE_FIXED64 = 6;
    TYPE_FIXED32 = 7;
    TYPE_BOOL = 8;
    TYPE_STRING = 9;
    TYPE_GROUP = 10;
    TYPE_MESSAGE = 11;  // Length-delimited aggregate.

    TYPE_BYTES = 12;
    TYPE_UINT32 = 13;
    TYPE_ENUM = 14;
    TYPE_SFIXED32 = 15;
    TYPE_SFIXED64 = 16;
    TYPE_SINT32 = 17;  // Uses ZigZag encoding.
    TYPE_SINT64 = 18;  // Uses ZigZag encoding.
  }

  enum Label {
    LABEL_OPTIONAL = 1;
    LABEL_REQUIRED = 2;
    LABEL_REPEATED = 3;
  }

  optional string name = 1;
  optional int32 number = 3;
  optional Label label = 4;

  optional Type type = 5;

  optional string type_name = 6;

  optional string extendee = 2;

  optional string default_value = 7;

  optional int32 oneof_index = 9;

  optional string json_name = 10;

  optional FieldOptions options = 8;

  optional bool proto3_optional = 17;
}

message OneofDescriptorProto {
  optional string name = 1;
  optional OneofOptions options = 2;
}

message EnumDescriptorProto {
  optional string name = 1;

  repeated EnumValueDescriptorProto value = 2;

  optional EnumOptions options = 3;

  message EnumReservedRange {
    optional int32 start = 1;  // Inclusive.
    optional int32 end = 2;    // Inclusive.
  }

  repeated EnumReservedRange reserved_range = 4;

  repeated string reserved_name = 5;
}

message EnumValueDescriptorProto {
  optional string name = 1;
  optional int32 number = 2;

  optional EnumValueOptions options = 3;
}

message ServiceDescriptorProto {
  optional string name = 1;
  repeated MethodDescriptorProto method = 2;

  optional ServiceOptions options = 3;
}

message MethodDescriptorProto {
  optional string name = 1;

  optional string input_type = 2;
  optional string output_type = 3;

  optional MethodOptions options = 4;

  optional bool client_streaming = 5 [default = false];
  optional bool server_streaming = 6 [default = false];
}

message FileOptions {

  optional string java_package = 1;

  optional string java_outer_classname = 8;

  optional bool java_multiple_files = 10 [default = false];

  optional bool java_generate_equals_and_hash = 20 [deprecated=true];

  optional bool java_string_check_utf8 = 27 [default = false];

  enum OptimizeMode {
    SPEED = 1;         // Generate complete code for parsing, serialization,
    CODE_SIZE = 2;     // Use ReflectionOps to implement these methods.
    LITE_RUNTIME = 3;  // Generate code using MessageLite and the lite runtime.
  }
  optional OptimizeMode optimize_for = 9 [default = SPEED];

  optional string go_package = 11;

  optional bool cc_generic_services = 16 [default = false];
  optional bool java_generic_services = 17 [default = false];
  optional bool py_generic_services = 18 [default = false];
  optional bool php_generic_services = 42 [default = false];

  optional bool deprecated = 23 [default = false];

  optional bool cc_enable_arenas = 31 [default = true];

  optional string objc_class_prefix = 36;

  optional string csharp_namespace = 37;

  optional string swift_prefix = 39;

  optional string php_class_prefix = 40;

  optional string php_namespace = 41;

  optional string php_metadata_namespace = 44;

  optional string ruby_package = 45;

  repeated UninterpretedOption uninterpreted_option = 999;

  extensions 1000 to max;

  reserved 38;
}

message MessageOptions {
  optional bool message_set_wire_format = 1 [default = false];

  optional bool no_standard_descriptor_accessor = 2 [default = false];

  optional bool deprecated = 3 [default = false];

  reserved 4, 5, 6;

  optional bool map_entry = 7;

  reserved 8;  // javalite_serializable
  reserved 9;  // javanano_as_lite

  repeated UninterpretedOption uninterpreted_option = 999;

  extensions 1000 to max;
}

message FieldOptions {
  optional CType ctype = 1 [default = STRING];
  enum CType {
    STRING = 0;

    CORD = 1;

    STRING_PIECE = 2;
  }
  optional bool packed = 2;

  optional JSType jstype = 6 [default = JS_NORMAL];
  enum JSType {
    JS_NORMAL = 0;

    JS_STRING = 1;

    JS_NUMBER = 2;
  }

  optional bool lazy = 5 [default = false];

  optional bool unverified_lazy = 15 [default = false];

  optional bool deprecated = 3 [default = false];

  optional bool weak = 10 [default = false];

  repeated UninterpretedOption uninterpreted_option = 999;

  extensions 1000 to max;

  reserved 4;  // removed jtype
}

message OneofOptions {
  repeated UninterpretedOption uninterpreted_option = 999;

  extensions 1000 to max;
}

message EnumOptions {

  optional bool allow_alias = 2;

  optional bool deprecated = 3 [default = false];

  reserved 5;  // javanano_as_lite

  repeated UninterpretedOption uninterpreted_option = 999;

  extensions 1000 to max;
}

message EnumValueOptions {
  optional bool deprecated = 1 [default = false];

  repeated UninterpretedOption uninterpreted_option = 999;

  extensions 1000 to max;
}

message ServiceOptions {

  optional bool deprecated = 33 [default = false];

  repeated UninterpretedOption uninterpreted_option = 999;

  extensions 1000 to max;
}

message MethodOptions {

  optional bool deprecated = 33 [default = false];

  enum IdempotencyLevel {
    IDEMPOTENCY_UNKNOWN = 0;
    NO_SIDE_EFFECTS = 1;  // implies idempotent
    IDEMPOTENT = 2;       // idempotent, but may have side effects
  }
  optional IdempotencyLevel idempotency_level = 34
      [default = IDEMPOTENCY_UNKNOWN];

  repeated UninterpretedOption uninterpreted_option = 999;

  extensions 1000 to max;
}

message UninterpretedOption {
  message NamePart {
    required string name_part = 1;
    required bool is_extension = 2;
  }
  repeated NamePart name = 2;

  optional string identifier_value = 3;
  optional uint64 positive_int_value = 4;
  optional int64 negative_int_value = 5;
  optional double double_value = 6;
  optional bytes string_value = 7;
  optional string aggregate_value = 8;
}

message SourceCodeInfo {
  repeated Location location = 1;
  message Location {
    repeated int32 path = 1 [packed = true];

    repeated int32 span = 2 [packed = true];

    optional string leading_comments = 3;
    optional string trailing_comments = 4;
    repeated string leading_detached_comments = 6;
  }
}

message GeneratedCodeInfo {
  repeated Annotation annotation = 1;
  message Annotation {
    repeated int32 path = 1 [packed = true];

    optional string source_file = 2;

    optional int32 begin = 3;

    optional int32 end = 4;
  }
}
"""#

/// `google/protobuf/duration.proto`.
private let durationProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto3";

package google.protobuf;

option csharp_namespace = "Google.Protobuf.WellKnownTypes";
option cc_enable_arenas = true;
option go_package = "google.golang.org/protobuf/types/known/durationpb";
option java_package = "com.google.protobuf";
option java_outer_classname = "DurationProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";

message Duration {
  int64 seconds = 1;

  int32 nanos = 2;
}
"""#

/// `google/protobuf/empty.proto`.
private let emptyProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto3";

package google.protobuf;

option csharp_namespace = "Google.Protobuf.WellKnownTypes";
option go_package = "google.golang.org/protobuf/types/known/emptypb";
option java_package = "com.google.protobuf";
option java_outer_classname = "EmptyProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";
option cc_enable_arenas = true;

message Empty {}
"""#

/// `google/protobuf/field_mask.proto`.
private let fieldMaskProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto3";

package google.protobuf;

option csharp_namespace = "Google.Protobuf.WellKnownTypes";
option java_package = "com.google.protobuf";
option java_outer_classname = "FieldMaskProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";
option go_package = "google.golang.org/protobuf/types/known/fieldmaskpb";
option cc_enable_arenas = true;

message FieldMask {
  repeated string paths = 1;
}
"""#

/// `google/protobuf/source_context.proto`.
private let sourceContextProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto3";

package google.protobuf;

option csharp_namespace = "Google.Protobuf.WellKnownTypes";
option java_package = "com.google.protobuf";
option java_outer_classname = "SourceContextProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";
option go_package = "google.golang.org/protobuf/types/known/sourcecontextpb";

message SourceContext {
  string file_name = 1;
}
"""#

/// `google/protobuf/struct.proto`.
private let structProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto3";

package google.protobuf;

option csharp_namespace = "Google.Protobuf.WellKnownTypes";
option cc_enable_arenas = true;
option go_package = "google.golang.org/protobuf/types/known/structpb";
option java_package = "com.google.protobuf";
option java_outer_classname = "StructProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";

message Struct {
  map<string, Value> fields = 1;
}

message Value {
  oneof kind {
    NullValue null_value = 1;
    double number_value = 2;
    string string_value = 3;
    bool bool_value = 4;
    Struct struct_value = 5;
    ListValue list_value = 6;
  }
}

enum NullValue {
  NULL_VALUE = 0;
}

message ListValue {
  repeated Value values = 1;
}
"""#

/// `google/protobuf/timestamp.proto`.
private let timestampProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto3";

package google.protobuf;

option csharp_namespace = "Google.Protobuf.WellKnownTypes";
option cc_enable_arenas = true;
option go_package = "google.golang.org/protobuf/types/known/timestamppb";
option java_package = "com.google.protobuf";
option java_outer_classname = "TimestampProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";

message Timestamp {
  int64 seconds = 1;

  int32 nanos = 2;
}
"""#

/// `google/protobuf/type.proto`.
private let typeProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto3";

package google.protobuf;

import "google/protobuf/any.proto";
import "google/protobuf/source_context.proto";

option csharp_namespace = "Google.Protobuf.WellKnownTypes";
option cc_enable_arenas = true;
option java_package = "com.google.protobuf";
option java_outer_classname = "TypeProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";
option go_package = "google.golang.org/protobuf/types/known/typepb";

message Type {
  string name = 1;
  repeated Field fields = 2;
  repeated string oneofs = 3;
  repeated Option options = 4;
  SourceContext source_context = 5;
  Syntax syntax = 6;
}

message Field {
  enum Kind {
    TYPE_UNKNOWN = 0;
    TYPE_DOUBLE = 1;
    TYPE_FLOAT = 2;
    TYPE_INT64 = 3;
    TYPE_UINT64 = 4;
    TYPE_INT32 = 5;
    TYPE_FIXED64 = 6;
    TYPE_FIXED32 = 7;
    TYPE_BOOL = 8;
    TYPE_STRING = 9;
    TYPE_GROUP = 10;
    TYPE_MESSAGE = 11;
    TYPE_BYTES = 12;
    TYPE_UINT32 = 13;
    TYPE_ENUM = 14;
    TYPE_SFIXED32 = 15;
    TYPE_SFIXED64 = 16;
    TYPE_SINT32 = 17;
    TYPE_SINT64 = 18;
  }

  enum Cardinality {
    CARDINALITY_UNKNOWN = 0;
    CARDINALITY_OPTIONAL = 1;
    CARDINALITY_REQUIRED = 2;
    CARDINALITY_REPEATED = 3;
  }

  Kind kind = 1;
  Cardinality cardinality = 2;
  int32 number = 3;
  string name = 4;
  string type_url = 6;
  int32 oneof_index = 7;
  bool packed = 8;
  repeated Option options = 9;
  string json_name = 10;
  string default_value = 11;
}

message Enum {
  string name = 1;
  repeated EnumValue enumvalue = 2;
  repeated Option options = 3;
  SourceContext source_context = 4;
  Syntax syntax = 5;
}

message EnumValue {
  string name = 1;
  int32 number = 2;
  repeated Option options = 3;
}

message Option {
  string name = 1;
  Any value = 2;
}

enum Syntax {
  SYNTAX_PROTO2 = 0;
  SYNTAX_PROTO3 = 1;
}
"""#

/// `google/protobuf/wrappers.proto`.
private let wrappersProto = #"""
// Protocol Buffers - Google's data interchange format
// Copyright 2008 Google Inc.  All rights reserved.
// https://developers.google.com/protocol-buffers/
// BSD 3-Clause license: see the notice at the top of WellKnownTypes.swift and the original file.

syntax = "proto3";

package google.protobuf;

option csharp_namespace = "Google.Protobuf.WellKnownTypes";
option cc_enable_arenas = true;
option go_package = "google.golang.org/protobuf/types/known/wrapperspb";
option java_package = "com.google.protobuf";
option java_outer_classname = "WrappersProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";

message DoubleValue {
  double value = 1;
}

message FloatValue {
  float value = 1;
}

message Int64Value {
  int64 value = 1;
}

message UInt64Value {
  uint64 value = 1;
}

message Int32Value {
  int32 value = 1;
}

message UInt32Value {
  uint32 value = 1;
}

message BoolValue {
  bool value = 1;
}

message StringValue {
  string value = 1;
}

message BytesValue {
  bytes value = 1;
}
"""#
