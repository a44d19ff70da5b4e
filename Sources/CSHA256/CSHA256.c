#include "CSHA256.h"

#include <openssl/evp.h>

struct larder_sha256 {
    EVP_MD_CTX *md;
};

larder_sha256 *larder_sha256_new(void) {
    larder_sha256 *ctx = OPENSSL_malloc(sizeof(larder_sha256));
    if (ctx == NULL) {
        return NULL;
    }
    ctx->md = EVP_MD_CTX_new();
    if (ctx->md == NULL || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx->md);
        OPENSSL_free(ctx);
        return NULL;
    }
    return ctx;
}

int larder_sha256_update(larder_sha256 *ctx, const void *bytes, size_t length) {
    return EVP_DigestUpdate(ctx->md, bytes, length);
}

int larder_sha256_finish(larder_sha256 *ctx, uint8_t out[32]) {
    unsigned int written = 0;
    if (EVP_DigestFinal_ex(ctx->md, out, &written) != 1 || written != 32) {
        return 0;
    }
    return EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL);
}

void larder_sha256_free(larder_sha256 *ctx) {
    if (ctx != NULL) {
        EVP_MD_CTX_free(ctx->md);
        OPENSSL_free(ctx);
    }
}
