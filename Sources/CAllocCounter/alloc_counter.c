// See include/alloc_counter.h. Defining malloc & co. in the executable interposes them for
// the whole process (the Swift runtime, Foundation, glibc's own callers): the dynamic linker
// resolves every library's `malloc` to the executable's definition first.
#define _GNU_SOURCE
#include "alloc_counter.h"
#include <errno.h>
#include <malloc.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static uint64_t count;
static uint64_t bytes;
static int64_t live;

static inline void counted(void *p) {
    if (!p) return;
    size_t n = malloc_usable_size(p);
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&bytes, n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&live, (int64_t)n, __ATOMIC_RELAXED);
}

static inline void released(void *p) {
    if (!p) return;
    __atomic_sub_fetch(&live, (int64_t)malloc_usable_size(p), __ATOMIC_RELAXED);
}

void *malloc(size_t n) {
    void *p = __libc_malloc(n);
    counted(p);
    return p;
}

void *calloc(size_t a, size_t b) {
    void *p = __libc_calloc(a, b);
    counted(p);
    return p;
}

void *realloc(void *old, size_t n) {
    if (!old) return malloc(n);
    size_t before = malloc_usable_size(old);
    void *p = __libc_realloc(old, n);
    if (p) {
        size_t after = malloc_usable_size(p);
        __atomic_add_fetch(&live, (int64_t)after - (int64_t)before, __ATOMIC_RELAXED);
        if (p != old || after > before) {
            __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&bytes, after, __ATOMIC_RELAXED);
        }
    } else if (n == 0) {
        __atomic_sub_fetch(&live, (int64_t)before, __ATOMIC_RELAXED);
    }
    return p;
}

void free(void *p) {
    released(p);
    __libc_free(p);
}

void *memalign(size_t align, size_t n) {
    void *p = __libc_memalign(align, n);
    counted(p);
    return p;
}

void *aligned_alloc(size_t align, size_t n) { return memalign(align, n); }

int posix_memalign(void **out, size_t align, size_t n) {
    if (align < sizeof(void *) || (align & (align - 1)) != 0) return EINVAL;
    void *p = memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

uint64_t rg_alloc_count(void) { return __atomic_load_n(&count, __ATOMIC_RELAXED); }
uint64_t rg_alloc_bytes(void) { return __atomic_load_n(&bytes, __ATOMIC_RELAXED); }
int64_t rg_alloc_live_bytes(void) { return __atomic_load_n(&live, __ATOMIC_RELAXED); }
