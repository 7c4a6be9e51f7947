# Writes .proto text for the OTLP trace protos from the descriptors in the opentelemetry-proto wheel.
import sys, os
from google.protobuf import descriptor_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.version import __version__ as ver

T = descriptor_pb2.FieldDescriptorProto
scal = {T.TYPE_DOUBLE:'double',T.TYPE_FLOAT:'float',T.TYPE_INT64:'int64',T.TYPE_UINT64:'uint64',T.TYPE_INT32:'int32',
        T.TYPE_FIXED64:'fixed64',T.TYPE_FIXED32:'fixed32',T.TYPE_BOOL:'bool',T.TYPE_STRING:'string',T.TYPE_BYTES:'bytes',
        T.TYPE_UINT32:'uint32',T.TYPE_SFIXED32:'sfixed32',T.TYPE_SFIXED64:'sfixed64',T.TYPE_SINT32:'sint32',T.TYPE_SINT64:'sint64'}
HEADER = """// Copyright 2019, OpenTelemetry Authors
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.
//
// From open-telemetry/opentelemetry-proto as shipped in the opentelemetry-proto %s Python package:
// reconstructed from that package's file descriptor by scripts/otel-proto-from-pip.py (same messages,
// fields, numbers and options; upstream's comments are not in the descriptor).

"""

def typename(f):
    if f.type in scal: return scal[f.type]
    return f.type_name

def emit_enum(e, ind, out):
    out.append(f"{ind}enum {e.name} {{")
    if e.reserved_range:
        out.append(f"{ind}  reserved " + ", ".join(str(r.start) if r.end==r.start+1 else f"{r.start} to {r.end-1}" for r in e.reserved_range) + ";")
    for v in e.value:
        out.append(f"{ind}  {v.name} = {v.number};")
    out.append(f"{ind}}}")

def emit_msg(m, ind, out):
    out.append(f"{ind}message {m.name} {{")
    if m.reserved_range:
        out.append(f"{ind}  reserved " + ", ".join(str(r.start) if r.end==r.start+1 else f"{r.start} to {r.end-1}" for r in m.reserved_range) + ";")
    if m.reserved_name:
        out.append(f"{ind}  reserved " + ", ".join(f'"{n}"' for n in m.reserved_name) + ";")
    for e in m.enum_type: emit_enum(e, ind+"  ", out)
    for n in m.nested_type: emit_msg(n, ind+"  ", out)
    oneofs = {}
    for f in m.field:
        if f.HasField('oneof_index') and not f.proto3_optional:
            oneofs.setdefault(f.oneof_index, []).append(f)
    done=set()
    for f in m.field:
        if f.HasField('oneof_index') and not f.proto3_optional:
            if f.oneof_index in done: continue
            done.add(f.oneof_index)
            out.append(f"{ind}  oneof {m.oneof_decl[f.oneof_index].name} {{")
            for g in oneofs[f.oneof_index]:
                out.append(f"{ind}    {typename(g)} {g.name} = {g.number};")
            out.append(f"{ind}  }}")
            continue
        lab = "repeated " if f.label == T.LABEL_REPEATED else ("optional " if f.proto3_optional else "")
        opts = " [deprecated = true]" if f.options.deprecated else ""
        out.append(f"{ind}  {lab}{typename(f)} {f.name} = {f.number}{opts};")
    out.append(f"{ind}}}")

# Every file in proto/ has a distinct base name, so each generated X.pb-c.[ch] name is unique: upstream's
# common/v1/common.proto would share "common" with microstate/v1/common.proto. The file name is not on the wire.
RENAMES = {"opentelemetry/proto/common/v1/common.proto": "opentelemetry/proto/common/v1/otel_common.proto"}

def emit(mod, root):
    fd = descriptor_pb2.FileDescriptorProto(); mod.DESCRIPTOR.CopyToProto(fd)
    out = [HEADER % ver + 'syntax = "proto3";', "", f"package {fd.package};", ""]
    for d in fd.dependency: out.append(f'import "{RENAMES.get(d, d)}";')
    if fd.dependency: out.append("")
    o = fd.options
    for name, val in [("csharp_namespace", o.csharp_namespace if o.HasField('csharp_namespace') else None)]:
        if val: out.append(f'option {name} = "{val}";')
    if o.HasField('java_multiple_files'): out.append(f"option java_multiple_files = {'true' if o.java_multiple_files else 'false'};")
    for name in ['java_package','java_outer_classname','go_package']:
        if o.HasField(name): out.append(f'option {name} = "{getattr(o,name)}";')
    out.append("")
    for e in fd.enum_type: emit_enum(e, "", out); out.append("")
    for m in fd.message_type: emit_msg(m, "", out); out.append("")
    for s in fd.service:
        out.append(f"service {s.name} {{")
        for meth in s.method:
            out.append(f"  rpc {meth.name}({meth.input_type.lstrip('.')}) returns ({meth.output_type.lstrip('.')}) {{}}")
        out.append("}"); out.append("")
    path = os.path.join(root, RENAMES.get(fd.name, fd.name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write("\n".join(out).rstrip() + "\n")
    print(path)

root = sys.argv[1] if len(sys.argv) > 1 else "proto"
for m in (common_pb2, resource_pb2, trace_pb2, trace_service_pb2): emit(m, root)
