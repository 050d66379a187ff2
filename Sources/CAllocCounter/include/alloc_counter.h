// Counts the process's heap allocations: malloc, calloc, realloc and the aligned
// allocators are interposed by definitions in the executable (glibc's own entry points,
// __libc_malloc & co., do the work). Linked only into the benchmarks.
#ifndef RG_ALLOC_COUNTER_H
#define RG_ALLOC_COUNTER_H
#include <stdint.h>

/// Allocations since start (malloc, calloc, realloc that moves or grows from NULL, memalign family).
uint64_t rg_alloc_count(void);
/// Bytes handed out since start (malloc_usable_size of each block).
uint64_t rg_alloc_bytes(void);
/// Bytes currently live on the heap (usable size; glibc's per-block header not included).
int64_t rg_alloc_live_bytes(void);

#endif
