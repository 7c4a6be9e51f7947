// Counts calls to the C allocator in the bench process (microstatedb-bench only; see malloc_counter.c).
#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H

#include <stdint.h>

/// Allocations (malloc, calloc, realloc, memalign, posix_memalign, aligned_alloc, valloc) since process start.
uint64_t microstate_malloc_count(void);

#endif
