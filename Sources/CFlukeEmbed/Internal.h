/*
 * What the CFlukeEmbed sources share and the public header does not show: the model object and
 * the small helpers. Not part of the module's interface (it lives outside include/).
 */
#ifndef FLUKE_EMBED_INTERNAL_H
#define FLUKE_EMBED_INTERNAL_H

#include "FlukeEmbed.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthreadpool.h>
#include <xnnpack.h>

/* XNNPACK kernels may read up to XNN_EXTRA_BYTES past the end of a tensor; our own input/output
 * buffers carry this much slack, rounded up to a cache line. */
#define FW_SLACK_BYTES 64
#define FW_ALIGN 64

struct fw_embed_model {
    fw_embed_precision precision;
    uint32_t num_threads;
    pthreadpool_t threadpool; /* NULL when running on the caller's thread */
    xnn_runtime_t runtime;

    uint32_t input_shape[4];
    size_t input_size;
    float *input_buffer; /* padded, aligned; bound to the runtime once at create */

    size_t output_count;
    uint32_t output_tensor[FW_EMBED_MAX_OUTPUTS];
    uint32_t output_shape[FW_EMBED_MAX_OUTPUTS][4];
    size_t output_size[FW_EMBED_MAX_OUTPUTS];
    char *output_name[FW_EMBED_MAX_OUTPUTS];
    float *output_buffer[FW_EMBED_MAX_OUTPUTS];

    /* Everything XNNPACK holds by pointer (weights, biases, per-channel scales): XNNPACK requires
     * static data and channelwise scales to outlive the subgraph and the runtime, so the model
     * owns a copy of each until fw_embed_destroy. */
    void **owned;
    size_t owned_count, owned_capacity;
    size_t weight_bytes;

    uint32_t layers_used, layers_total, xnn_nodes;
};

/* Writes the message (printf-style) into `error` when there is one, and returns `status`. */
fw_embed_status fwe_fail(fw_embed_error *error, fw_embed_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
const char *fwe_status_name(enum xnn_status status);
/* `name`, or "(unnamed)" for a layer or tensor without one. */
const char *fwe_display_name(const char *name);
/* Zeroed, FW_ALIGN-aligned memory with FW_SLACK_BYTES to spare; free() it. */
void *fwe_alloc_padded(size_t bytes);
/* Allocates `bytes` that the model keeps until destroy (weights etc.). */
void *fwe_own(fw_embed_model *m, size_t bytes);
size_t fwe_element_count(const uint32_t shape[4]);
bool fwe_finite_positive(float x);
/* A malloc'ed copy of `s` (NULL for NULL). */
char *fwe_copy_string(const char *s);

/* Validation.c: the caller's description must be well formed and, for int8, within XNNPACK's
 * parameter limits, before anything is built from it. */
fw_embed_status fwe_check_description(const fw_embed_model_desc *d, fw_embed_precision precision,
                                      fw_embed_error *error);

#endif
