// page-census.c: an LD_PRELOAD library that counts the LMDB pages a process writes, by kind and by table, as
// they are written (pwrite, pwrite64, writev of whole pages), and the fdatasync calls. The counters live in a
// shared file (PAGE_CENSUS_FILE, 8-byte little-endian counters in the order of `kinds` below) that a script
// reads before and after a load (Benchmarks/store-pages/run.sh). The table of a page is told by the key size
// of its first node, which is distinct per table in a Larder store (docs/store.md, "Layout"):
// 64 variants, 12 chunks, 8 bodies / pending / LMDB's free list, 72 lru, > 72 keys.
// Every write of whole 4 KiB multiples counts, whatever the descriptor: under the S5 load Larder's socket writes
// are smaller than a page, so only the store's pages are counted; under a load of large hits they would not be.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

enum { PAGE = 4096, KINDS = 16 };
// 0 fdatasync calls, 1 meta, 2 overflow runs, 3-8 leaves, 9-14 branches, 15 other.
static uint64_t *counters;

__attribute__((constructor)) static void open_counters(void) {
    const char *path = getenv("PAGE_CENSUS_FILE");
    if (!path) return;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, KINDS * 8) != 0) return;
    void *map = mmap(NULL, KINDS * 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map != MAP_FAILED) counters = map;
}

/// LMDB page header: pgno (8), pad (2), flags (2), lower (2), upper (2); then node offsets (2 each).
/// A node: data size (4), flags (2), key size (2), key.
static int kind_of(const unsigned char *page) {
    uint16_t flags, lower, offset, keySize;
    memcpy(&flags, page + 10, 2);
    memcpy(&lower, page + 12, 2);
    if (flags & 0x08) return 1;
    if (flags & 0x04) return 2;
    if (!(flags & 0x03)) return 15;
    int nodes = (lower - 16) / 2, branch = flags & 0x01;
    if (nodes <= branch) return 15;
    memcpy(&offset, page + 16 + 2 * branch, 2);  // a branch page's first key is empty
    if (offset + 8 > PAGE) return 15;
    memcpy(&keySize, page + offset + 6, 2);
    int table = keySize == 64 ? 0 : keySize == 12 ? 1 : keySize == 8 ? 2 : keySize == 72 ? 3 : keySize > 72 ? 4 : 5;
    return (branch ? 9 : 3) + table;
}

static void count(const void *bytes, size_t length) {
    if (!counters || length < PAGE) return;
    for (size_t at = 0; at + PAGE <= length; at += PAGE) {
        int kind = kind_of((const unsigned char *)bytes + at);
        __atomic_fetch_add(&counters[kind], 1, __ATOMIC_RELAXED);
        if (kind == 2) break;  // an overflow run counts once
    }
}

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef int (*fdatasync_fn)(int);
#define REAL(name, type) static type real; if (!real) real = (type)dlsym(RTLD_NEXT, name)

ssize_t pwrite(int fd, const void *bytes, size_t length, off_t offset) {
    REAL("pwrite", pwrite_fn);
    count(bytes, length);
    return real(fd, bytes, length, offset);
}

ssize_t pwrite64(int fd, const void *bytes, size_t length, off_t offset) {
    REAL("pwrite64", pwrite_fn);
    count(bytes, length);
    return real(fd, bytes, length, offset);
}

ssize_t writev(int fd, const struct iovec *vector, int entries) {
    REAL("writev", writev_fn);
    for (int i = 0; i < entries; i++)
        if (vector[i].iov_len % PAGE == 0) count(vector[i].iov_base, vector[i].iov_len);
    return real(fd, vector, entries);
}

int fdatasync(int fd) {
    REAL("fdatasync", fdatasync_fn);
    if (counters) __atomic_fetch_add(&counters[0], 1, __ATOMIC_RELAXED);
    return real(fd);
}
