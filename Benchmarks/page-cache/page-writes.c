// page-writes.c: CPU cost of the store writer's I/O pattern — random single-page pwrites, then fdatasync — into a
// 200 MiB file written in one of four ways (docs/benchmarks.md, sixth pass):
//   small      4 KiB pwrites                      (single-page folios)
//   large      256 KiB pwrites                    (large folios on Linux 6.16+ ext4: what LMDB's writev makes)
//   readahead  ftruncate and POSIX_FADV_WILLNEED, then 256 KiB pwrites
//   primed     ftruncate and pread with POSIX_FADV_RANDOM (what PageCachePrimer does), then 256 KiB pwrites
// Usage: page-writes FILE MODE. Prints microseconds of CPU (user + system) per page written.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum { PAGE = 4096, PAGES = 51200, ROUNDS = 40, PER_ROUND = 900, RUN = 64 };

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/// Readies the page cache as `mode` says, then writes the whole file (4 KiB or 256 KiB at a time).
static void fill(int fd, const char *mode, const char *path, char *buffer) {
    if (strcmp(mode, "readahead") == 0 || strcmp(mode, "primed") == 0) {
        if (ftruncate(fd, (off_t)PAGES * PAGE) != 0) { perror("ftruncate"); exit(1); }
        if (mode[0] == 'r') {
            posix_fadvise(fd, 0, (off_t)PAGES * PAGE, POSIX_FADV_WILLNEED);
        } else {
            int reader = open(path, O_RDONLY);
            posix_fadvise(reader, 0, 0, POSIX_FADV_RANDOM);
            for (long page = 0; page < PAGES; page += RUN)
                if (pread(reader, buffer, RUN * PAGE, page * PAGE) < 0) { perror("pread"); exit(1); }
            close(reader);
        }
    } else if (strcmp(mode, "small") != 0 && strcmp(mode, "large") != 0) {
        fprintf(stderr, "unknown mode %s\n", mode);
        exit(2);
    }
    long step = strcmp(mode, "small") == 0 ? 1 : RUN;
    for (long page = 0; page < PAGES; page += step)
        if (pwrite(fd, buffer, step * PAGE, page * PAGE) != step * PAGE) { perror("pwrite"); exit(1); }
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s FILE small|large|readahead|primed\n", argv[0]); return 2; }
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror(argv[1]); return 1; }
    char *buffer = aligned_alloc(PAGE, RUN * PAGE);
    memset(buffer, 7, RUN * PAGE);
    fill(fd, argv[2], argv[1], buffer);
    fdatasync(fd);
    srand(1);
    double start = cpu_seconds();
    for (int round = 0; round < ROUNDS; round++) {
        for (int write = 0; write < PER_ROUND; write++) {
            long page = rand() % PAGES;
            if (pwrite(fd, buffer, PAGE, page * PAGE) != PAGE) { perror("pwrite"); return 1; }
        }
        fdatasync(fd);
    }
    printf("%-9s %.2f us of CPU per random page write (with its share of an fdatasync)\n", argv[2],
           (cpu_seconds() - start) * 1e6 / (ROUNDS * PER_ROUND));
    close(fd);
    unlink(argv[1]);
    return 0;
}
