// protobuf-c runtime from Debian's libprotobuf-c-dev (1.4.1).
// Only the MicroStateWire module (and the generated C target) use this.
#include <protobuf-c/protobuf-c.h>
