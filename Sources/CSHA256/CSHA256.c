#include "CSHA256.h"

#include <openssl/evp.h>
#include <pthread.h>

struct larder_sha256 {
    EVP_MD_CTX *md;
};

// The SHA-256 implementation, fetched once. Passing EVP_sha256() to every init makes OpenSSL 3 look
// the algorithm up again each time, which costs more than hashing a short key.
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
// Each thread's context for one-shot hashes, freed when the thread ends.
static pthread_key_t oneshot_key;

static void free_context(void *context) {
    EVP_MD_CTX_free(context);
}

static void fetch_sha256(void) {
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (pthread_key_create(&oneshot_key, free_context) != 0) {
        EVP_MD_free(sha256_md);
        sha256_md = NULL;
    }
}

static const EVP_MD *sha256(void) {
    pthread_once(&sha256_once, fetch_sha256);
    return sha256_md;
}

larder_sha256 *larder_sha256_new(void) {
    const EVP_MD *md = sha256();
    if (md == NULL) {
        return NULL;
    }
    larder_sha256 *ctx = OPENSSL_malloc(sizeof(larder_sha256));
    if (ctx == NULL) {
        return NULL;
    }
    ctx->md = EVP_MD_CTX_new();
    if (ctx->md == NULL || EVP_DigestInit_ex2(ctx->md, md, NULL) != 1) {
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
    return EVP_DigestInit_ex2(ctx->md, sha256(), NULL);
}

void larder_sha256_free(larder_sha256 *ctx) {
    if (ctx != NULL) {
        EVP_MD_CTX_free(ctx->md);
        OPENSSL_free(ctx);
    }
}

int larder_sha256_oneshot(const void *bytes, size_t length, uint8_t out[32]) {
    // One context per thread, reused: a one-shot hash allocates nothing.
    const EVP_MD *md = sha256();
    if (md == NULL) {
        return 0;
    }
    EVP_MD_CTX *context = pthread_getspecific(oneshot_key);
    if (context == NULL) {
        if ((context = EVP_MD_CTX_new()) == NULL || pthread_setspecific(oneshot_key, context) != 0) {
            EVP_MD_CTX_free(context);
            return 0;
        }
    }
    unsigned int written = 0;
    if (EVP_DigestInit_ex2(context, md, NULL) != 1 || EVP_DigestUpdate(context, bytes, length) != 1 ||
        EVP_DigestFinal_ex(context, out, &written) != 1) {
        return 0;
    }
    return written == 32;
}
