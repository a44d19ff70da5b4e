#include "CSHA256.h"

// The low-level SHA-256 functions, deprecated in OpenSSL 3 in favour of EVP but still part of libcrypto:
// they call the same CPU-specific code (SHA extensions, AVX2) directly. Through EVP every hash went
// through provider dispatch, a context reset that zeroes and frees internal state, and for one-shot
// hashes of short keys that cost more than the hashing itself.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdlib.h>

struct larder_sha256 {
    SHA256_CTX state;
};

larder_sha256 *larder_sha256_new(void) {
    larder_sha256 *ctx = malloc(sizeof(larder_sha256));
    if (ctx == NULL || SHA256_Init(&ctx->state) != 1) {
        free(ctx);
        return NULL;
    }
    return ctx;
}

int larder_sha256_update(larder_sha256 *ctx, const void *bytes, size_t length) {
    return SHA256_Update(&ctx->state, bytes, length);
}

int larder_sha256_finish(larder_sha256 *ctx, uint8_t out[32]) {
    if (SHA256_Final(out, &ctx->state) != 1) {
        return 0;
    }
    return SHA256_Init(&ctx->state);
}

void larder_sha256_free(larder_sha256 *ctx) {
    free(ctx);
}

int larder_sha256_oneshot(const void *bytes, size_t length, uint8_t out[32]) {
    SHA256_CTX state;
    return SHA256_Init(&state) == 1 && SHA256_Update(&state, bytes, length) == 1 && SHA256_Final(out, &state) == 1;
}
