#ifndef LARDER_CSHA256_H
#define LARDER_CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// An incremental SHA-256 over libcrypto's low-level SHA-256 functions.
/// Opaque to Swift; create with larder_sha256_new and free with larder_sha256_free.
typedef struct larder_sha256 larder_sha256;

/// Returns a new hashing context, or NULL if libcrypto could not allocate one.
larder_sha256 *larder_sha256_new(void);

/// Feeds `length` bytes. Returns 1 on success, 0 on failure.
int larder_sha256_update(larder_sha256 *ctx, const void *bytes, size_t length);

/// Writes the 32-byte digest to `out` and resets the context for reuse. Returns 1 on success.
int larder_sha256_finish(larder_sha256 *ctx, uint8_t out[32]);

void larder_sha256_free(larder_sha256 *ctx);

/// Hashes `length` bytes in one call into `out` (32 bytes); allocates nothing.
/// Returns 1 on success, 0 on failure.
int larder_sha256_oneshot(const void *bytes, size_t length, uint8_t out[32]);

#endif
