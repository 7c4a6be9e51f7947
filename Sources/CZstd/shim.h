// zstd from Debian's libzstd-dev (1.5.4): only the stable API (no ZSTD_STATIC_LINKING_ONLY).
// Only the MicroStateCompression module imports this.
#include <zstd.h>
#include <zstd_errors.h>
