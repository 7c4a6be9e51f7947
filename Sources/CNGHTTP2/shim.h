// nghttp2 from Debian's libnghttp2-dev (1.52: only the ssize_t APIs, no *2 variants).
// Only the MicroStateHTTP2 module imports this.
#include <nghttp2/nghttp2.h>
