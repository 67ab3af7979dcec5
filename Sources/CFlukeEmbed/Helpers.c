/*
 * Small helpers shared by the CFlukeEmbed sources, and XNNPACK's one-time initialization.
 */
#define _POSIX_C_SOURCE 200809L /* pthread_once under -std=c11 */

#include "Internal.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fw_embed_status fwe_fail(fw_embed_error *error, fw_embed_status status, const char *format, ...) {
    if (error != NULL) {
        va_list args;
        va_start(args, format);
        vsnprintf(error->message, sizeof error->message, format, args);
        va_end(args);
    }
    return status;
}

const char *fwe_status_name(enum xnn_status status) {
    switch (status) {
        case xnn_status_success: return "success";
        case xnn_status_uninitialized: return "uninitialized";
        case xnn_status_invalid_parameter: return "invalid parameter";
        case xnn_status_invalid_state: return "invalid state";
        case xnn_status_unsupported_parameter: return "unsupported parameter";
        case xnn_status_unsupported_hardware: return "unsupported hardware";
        case xnn_status_out_of_memory: return "out of memory";
    }
    return "unknown status";
}

const char *fwe_display_name(const char *name) { return name != NULL ? name : "(unnamed)"; }

void *fwe_alloc_padded(size_t bytes) {
    /* aligned_alloc wants a size that is a multiple of the alignment. */
    size_t total = (bytes + FW_SLACK_BYTES + FW_ALIGN - 1) / FW_ALIGN * FW_ALIGN;
    void *p = aligned_alloc(FW_ALIGN, total);
    if (p != NULL) memset(p, 0, total);
    return p;
}

void *fwe_own(fw_embed_model *m, size_t bytes) {
    if (m->owned_count == m->owned_capacity) {
        size_t capacity = m->owned_capacity ? m->owned_capacity * 2 : 256;
        void **grown = realloc(m->owned, capacity * sizeof *grown);
        if (grown == NULL) return NULL;
        m->owned = grown;
        m->owned_capacity = capacity;
    }
    void *p = fwe_alloc_padded(bytes);
    if (p == NULL) return NULL;
    m->owned[m->owned_count++] = p;
    m->weight_bytes += bytes;
    return p;
}

size_t fwe_element_count(const uint32_t shape[4]) {
    return (size_t)shape[0] * shape[1] * shape[2] * shape[3];
}

bool fwe_finite_positive(float x) { return isfinite(x) && x > 0.0f; }

char *fwe_copy_string(const char *s) {
    if (s == NULL) return NULL;
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c != NULL) memcpy(c, s, n);
    return c;
}

/* ---------------------------------------------------------------------------------------------
 * One-time XNNPACK initialization
 * ------------------------------------------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static enum xnn_status init_status = xnn_status_uninitialized;

static void init_xnnpack(void) { init_status = xnn_initialize(NULL); }

fw_embed_status fw_embed_initialize(fw_embed_error *error) {
    pthread_once(&init_once, init_xnnpack);
    if (init_status != xnn_status_success) {
        return fwe_fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_initialize failed: %s%s",
                    fwe_status_name(init_status),
                    init_status == xnn_status_unsupported_hardware ? " (CPU lacks SSE2/NEON)" : "");
    }
    return FW_EMBED_OK;
}
