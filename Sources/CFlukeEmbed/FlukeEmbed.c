/*
 * FlukeEmbed: EfficientNet-Lite0 (or any net made of the same four layer kinds) on XNNPACK's
 * subgraph API. See include/FlukeEmbed.h for the contract; this file explains the how.
 *
 * Written against Debian bookworm's XNNPACK (snapshot 2022-02-16, ae108ef): only subgraph calls
 * that exist in that header are used (quantized / channelwise-quantized tensor values, convert,
 * convolution_2d, depthwise_convolution_2d, add2, global_average_pooling_2d, create_runtime_v2).
 */
#define _POSIX_C_SOURCE 200809L /* pthread_once under -std=c11 */

#include "FlukeEmbed.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------- */

static fw_embed_status fail(fw_embed_error *error, fw_embed_status status, const char *format, ...) {
    if (error != NULL) {
        va_list args;
        va_start(args, format);
        vsnprintf(error->message, sizeof error->message, format, args);
        va_end(args);
    }
    return status;
}

static const char *xnn_status_name(enum xnn_status status) {
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

static const char *display_name(const char *name) { return name != NULL ? name : "(unnamed)"; }

static void *aligned_alloc_padded(size_t bytes) {
    /* aligned_alloc wants a size that is a multiple of the alignment. */
    size_t total = (bytes + FW_SLACK_BYTES + FW_ALIGN - 1) / FW_ALIGN * FW_ALIGN;
    void *p = aligned_alloc(FW_ALIGN, total);
    if (p != NULL) memset(p, 0, total);
    return p;
}

/* Allocates `bytes` that the model keeps until destroy (weights etc.). */
static void *own(fw_embed_model *m, size_t bytes) {
    if (m->owned_count == m->owned_capacity) {
        size_t capacity = m->owned_capacity ? m->owned_capacity * 2 : 256;
        void **grown = realloc(m->owned, capacity * sizeof *grown);
        if (grown == NULL) return NULL;
        m->owned = grown;
        m->owned_capacity = capacity;
    }
    void *p = aligned_alloc_padded(bytes);
    if (p == NULL) return NULL;
    m->owned[m->owned_count++] = p;
    m->weight_bytes += bytes;
    return p;
}

static size_t element_count(const uint32_t shape[4]) {
    return (size_t)shape[0] * shape[1] * shape[2] * shape[3];
}

static bool finite_positive(float x) { return isfinite(x) && x > 0.0f; }

/* ---------------------------------------------------------------------------------------------
 * One-time XNNPACK initialization
 * ------------------------------------------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static enum xnn_status init_status = xnn_status_uninitialized;

static void init_xnnpack(void) { init_status = xnn_initialize(NULL); }

fw_embed_status fw_embed_initialize(fw_embed_error *error) {
    pthread_once(&init_once, init_xnnpack);
    if (init_status != xnn_status_success) {
        return fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_initialize failed: %s%s",
                    xnn_status_name(init_status),
                    init_status == xnn_status_unsupported_hardware ? " (CPU lacks SSE2/NEON)" : "");
    }
    return FW_EMBED_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Validation of the caller's description
 * ------------------------------------------------------------------------------------------- */

/* Output extent of a convolution along one axis, or 0 if the kernel does not fit. */
static uint32_t conv_extent(uint32_t in, uint32_t pad_before, uint32_t pad_after, uint32_t kernel,
                            uint32_t stride, uint32_t dilation) {
    uint64_t padded = (uint64_t)in + pad_before + pad_after;
    uint64_t effective = (uint64_t)dilation * (kernel - 1) + 1;
    if (padded < effective) return 0;
    return (uint32_t)((padded - effective) / stride + 1);
}

/* Checks one layer's structure (ids, shapes, data present) and, for int8, XNNPACK's limits. */
static fw_embed_status check_layer(const fw_embed_model_desc *d, uint32_t index, fw_embed_precision precision,
                                   fw_embed_error *error) {
    const fw_embed_layer *L = &d->layers[index];
    const char *name = display_name(L->name);
    const uint32_t n_inputs = L->op == FW_EMBED_OP_ADD ? 2 : 1;
    for (uint32_t i = 0; i < n_inputs; i++) {
        if (L->inputs[i] >= d->tensor_count)
            return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): input tensor %u out of range (%u tensors)",
                        index, name, L->inputs[i], d->tensor_count);
    }
    if (L->output >= d->tensor_count)
        return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): output tensor %u out of range", index, name,
                    L->output);
    if (L->output == d->input_tensor)
        return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s) writes the input tensor", index, name);
    if (isnan(L->output_min) || isnan(L->output_max) || !(L->output_min < L->output_max))
        return fail(error, FW_EMBED_INVALID_ARGUMENT,
                    "layer %u (%s): output clamp [%g, %g] is empty (use -INFINITY/+INFINITY for no activation)",
                    index, name, (double)L->output_min, (double)L->output_max);

    const fw_embed_tensor *in = &d->tensors[L->inputs[0]];
    const fw_embed_tensor *out = &d->tensors[L->output];
    const bool int8 = precision == FW_EMBED_INT8;

    switch (L->op) {
        case FW_EMBED_OP_CONV:
        case FW_EMBED_OP_DEPTHWISE_CONV: {
            const bool dw = L->op == FW_EMBED_OP_DEPTHWISE_CONV;
            const uint32_t dil_h = L->dilation_h ? L->dilation_h : 1, dil_w = L->dilation_w ? L->dilation_w : 1;
            if (L->kernel_h == 0 || L->kernel_w == 0 || L->stride_h == 0 || L->stride_w == 0)
                return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): zero kernel or stride", index, name);
            if (L->input_channels != in->shape[3] || L->output_channels != out->shape[3])
                return fail(error, FW_EMBED_INVALID_ARGUMENT,
                            "layer %u (%s): channels %u->%u but tensors have %u->%u", index, name,
                            L->input_channels, L->output_channels, in->shape[3], out->shape[3]);
            if (dw ? (L->groups != L->input_channels || L->input_channels != L->output_channels) : L->groups != 1)
                return fail(error, FW_EMBED_UNSUPPORTED,
                            "layer %u (%s): groups %u unsupported (conv needs 1, depthwise needs groups == in == out "
                            "channels)", index, name, L->groups);
            uint32_t oh = conv_extent(in->shape[1], L->pad_top, L->pad_bottom, L->kernel_h, L->stride_h, dil_h);
            uint32_t ow = conv_extent(in->shape[2], L->pad_left, L->pad_right, L->kernel_w, L->stride_w, dil_w);
            if (oh != out->shape[1] || ow != out->shape[2])
                return fail(error, FW_EMBED_INVALID_ARGUMENT,
                            "layer %u (%s): %ux%u input, kernel %ux%u, stride %ux%u, padding t%u r%u b%u l%u gives "
                            "%ux%u, but the output tensor is %ux%u", index, name, in->shape[1], in->shape[2],
                            L->kernel_h, L->kernel_w, L->stride_h, L->stride_w, L->pad_top, L->pad_right,
                            L->pad_bottom, L->pad_left, oh, ow, out->shape[1], out->shape[2]);
            const bool have_f32 = L->weights_f32 != NULL || L->bias_f32 != NULL;
            if (have_f32 && (L->weights_f32 == NULL || L->bias_f32 == NULL))
                return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): give both weights_f32 and bias_f32, or neither",
                            index, name);
            const bool need_int8_data = int8 || !have_f32;
            if (need_int8_data && (L->weights == NULL || L->bias == NULL || L->weight_scales == NULL))
                return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): weights, bias or weight_scales missing",
                            index, name);
            if (need_int8_data) {
                for (uint32_t c = 0; c < L->output_channels; c++) {
                    const float ws = L->weight_scales[c];
                    if (!finite_positive(ws))
                        return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): weight scale %u is %g", index,
                                    name, c, (double)ws);
                    if (int8) {
                        /* XNNPACK's qc8 conv requantizes with input_scale * w_scale / output_scale. */
                        const double r = (double)in->scale * ws / out->scale;
                        if (!(r >= 0x1.0p-32 && r < 256.0))
                            return fail(error, FW_EMBED_UNSUPPORTED,
                                        "layer %u (%s): channel %u requantization scale %g outside XNNPACK's "
                                        "[2^-32, 256)", index, name, c, r);
                    }
                }
            }
            break;
        }
        case FW_EMBED_OP_ADD: {
            if (L->inputs[1] >= d->tensor_count)
                return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): input tensor %u out of range", index,
                            name, L->inputs[1]);
            const fw_embed_tensor *b = &d->tensors[L->inputs[1]];
            if (memcmp(in->shape, out->shape, sizeof in->shape) != 0 || memcmp(b->shape, out->shape, sizeof b->shape) != 0)
                return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): add needs equal shapes (no broadcast)",
                            index, name);
            if (int8) {
                const double ra = (double)in->scale / out->scale, rb = (double)b->scale / out->scale;
                if (!(ra >= 0x1.0p-10 && ra < 256.0 && rb >= 0x1.0p-10 && rb < 256.0))
                    return fail(error, FW_EMBED_UNSUPPORTED,
                                "layer %u (%s): input/output scale ratios %g, %g outside XNNPACK's [2^-10, 2^8)", index,
                                name, ra, rb);
            }
            break;
        }
        case FW_EMBED_OP_GLOBAL_AVG_POOL: {
            if (out->shape[1] != 1 || out->shape[2] != 1 || out->shape[3] != in->shape[3])
                return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): output must be [1,1,1,%u]", index, name,
                            in->shape[3]);
            if (int8) {
                const double r = (double)in->scale / out->scale;
                if (!(r >= 0x1.0p-8 && r < 256.0))
                    return fail(error, FW_EMBED_UNSUPPORTED,
                                "layer %u (%s): input/output scale ratio %g outside XNNPACK's [2^-8, 2^8)", index, name, r);
            }
            break;
        }
        default:
            return fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): unknown op %d", index, name, (int)L->op);
    }
    return FW_EMBED_OK;
}

static fw_embed_status check_description(const fw_embed_model_desc *d, fw_embed_precision precision,
                                         fw_embed_error *error) {
    if (d->tensors == NULL || d->tensor_count == 0 || d->layers == NULL || d->layer_count == 0)
        return fail(error, FW_EMBED_INVALID_ARGUMENT, "empty model description");
    if (d->input_tensor >= d->tensor_count)
        return fail(error, FW_EMBED_INVALID_ARGUMENT, "input tensor %u out of range", d->input_tensor);
    for (uint32_t t = 0; t < d->tensor_count; t++) {
        const fw_embed_tensor *T = &d->tensors[t];
        if (T->shape[0] != 1 || T->shape[1] == 0 || T->shape[2] == 0 || T->shape[3] == 0)
            return fail(error, FW_EMBED_INVALID_ARGUMENT, "tensor %u (%s): shape %ux%ux%ux%u (need N=1, no zeros)",
                        t, display_name(T->name), T->shape[0], T->shape[1], T->shape[2], T->shape[3]);
        if (precision == FW_EMBED_INT8 &&
            (!finite_positive(T->scale) || T->zero_point < -128 || T->zero_point > 127))
            return fail(error, FW_EMBED_INVALID_ARGUMENT, "tensor %u (%s): bad qs8 parameters (scale %g, zero point %d)",
                        t, display_name(T->name), (double)T->scale, (int)T->zero_point);
    }
    for (uint32_t i = 0; i < d->layer_count; i++) {
        fw_embed_status s = check_layer(d, i, precision, error);
        if (s != FW_EMBED_OK) return s;
    }
    return FW_EMBED_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Graph construction
 * ------------------------------------------------------------------------------------------- */

/* Defines a static weight / bias pair for one conv layer and returns their value ids. */
static fw_embed_status define_conv_params(fw_embed_model *m, xnn_subgraph_t g, const fw_embed_model_desc *d,
                                          const fw_embed_layer *L, uint32_t *filter_id, uint32_t *bias_id,
                                          fw_embed_error *error) {
    const bool dw = L->op == FW_EMBED_OP_DEPTHWISE_CONV;
    const char *name = display_name(L->name);
    const size_t oc = L->output_channels;
    const size_t per_channel = (size_t)L->kernel_h * L->kernel_w * (dw ? 1 : L->input_channels);
    const size_t n_weights = oc * per_channel;
    size_t filter_dims[4];
    if (dw) {
        filter_dims[0] = 1; filter_dims[1] = L->kernel_h; filter_dims[2] = L->kernel_w; filter_dims[3] = oc;
    } else {
        filter_dims[0] = oc; filter_dims[1] = L->kernel_h; filter_dims[2] = L->kernel_w; filter_dims[3] = L->input_channels;
    }
    const size_t channel_dim = dw ? 3 : 0;
    const float in_scale = d->tensors[L->inputs[0]].scale;
    enum xnn_status xs;

    if (m->precision == FW_EMBED_INT8) {
        int8_t *w = own(m, n_weights);
        int32_t *b = own(m, oc * sizeof *b);
        float *ws = own(m, oc * sizeof *ws);
        float *bs = own(m, oc * sizeof *bs);
        if (!w || !b || !ws || !bs) return fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory copying %s", name);
        memcpy(w, L->weights, n_weights);
        memcpy(b, L->bias, oc * sizeof *b);
        memcpy(ws, L->weight_scales, oc * sizeof *ws);
        /* The bias scale is the float32 product input_scale * weight_scale[c], as in the manifest. */
        for (size_t c = 0; c < oc; c++) bs[c] = in_scale * ws[c];
        xs = xnn_define_channelwise_quantized_tensor_value(g, xnn_datatype_qcint8, ws, 4, channel_dim, filter_dims, w,
                                                           XNN_INVALID_VALUE_ID, 0, filter_id);
        if (xs != xnn_status_success)
            return fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_define_channelwise_quantized_tensor_value (qcint8 filter "
                        "of %s): %s", name, xnn_status_name(xs));
        size_t bias_dims[1] = {oc};
        xs = xnn_define_channelwise_quantized_tensor_value(g, xnn_datatype_qcint32, bs, 1, 0, bias_dims, b,
                                                           XNN_INVALID_VALUE_ID, 0, bias_id);
        if (xs != xnn_status_success)
            return fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_define_channelwise_quantized_tensor_value (qcint32 bias "
                        "of %s): %s", name, xnn_status_name(xs));
        return FW_EMBED_OK;
    }

    float *w = own(m, n_weights * sizeof *w);
    float *b = own(m, oc * sizeof *b);
    if (!w || !b) return fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory copying %s", name);
    if (L->weights_f32 != NULL) {
        memcpy(w, L->weights_f32, n_weights * sizeof *w);
        memcpy(b, L->bias_f32, oc * sizeof *b);
    } else {
        /* Dequantize: conv OHWI has the channel outermost, depthwise [1,kh,kw,C] innermost. */
        for (size_t i = 0; i < n_weights; i++) {
            const size_t c = dw ? i % oc : i / per_channel;
            w[i] = (float)L->weights[i] * L->weight_scales[c];
        }
        for (size_t c = 0; c < oc; c++) b[c] = (float)L->bias[c] * (in_scale * L->weight_scales[c]);
    }
    xs = xnn_define_tensor_value(g, xnn_datatype_fp32, 4, filter_dims, w, XNN_INVALID_VALUE_ID, 0, filter_id);
    if (xs != xnn_status_success)
        return fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_define_tensor_value (fp32 filter of %s): %s", name,
                    xnn_status_name(xs));
    size_t bias_dims[1] = {oc};
    xs = xnn_define_tensor_value(g, xnn_datatype_fp32, 1, bias_dims, b, XNN_INVALID_VALUE_ID, 0, bias_id);
    if (xs != xnn_status_success)
        return fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_define_tensor_value (fp32 bias of %s): %s", name,
                    xnn_status_name(xs));
    return FW_EMBED_OK;
}

/* Defines the activation value for tensor `t` (qs8 or fp32; internal or an external output). */
static enum xnn_status define_activation(fw_embed_model *m, xnn_subgraph_t g, const fw_embed_tensor *T,
                                         uint32_t external_id, uint32_t flags, uint32_t *id) {
    size_t dims[4] = {T->shape[0], T->shape[1], T->shape[2], T->shape[3]};
    if (m->precision == FW_EMBED_INT8)
        return xnn_define_quantized_tensor_value(g, xnn_datatype_qint8, T->zero_point, T->scale, 4, dims, NULL,
                                                 external_id, flags, id);
    return xnn_define_tensor_value(g, xnn_datatype_fp32, 4, dims, NULL, external_id, flags, id);
}

void fw_embed_destroy(fw_embed_model *m) {
    if (m == NULL) return;
    if (m->runtime != NULL) xnn_delete_runtime(m->runtime);
    if (m->threadpool != NULL) pthreadpool_destroy(m->threadpool);
    for (size_t i = 0; i < m->owned_count; i++) free(m->owned[i]);
    free(m->owned);
    free(m->input_buffer);
    for (size_t i = 0; i < FW_EMBED_MAX_OUTPUTS; i++) {
        free(m->output_buffer[i]);
        free(m->output_name[i]);
    }
    free(m);
}

static char *copy_string(const char *s) {
    if (s == NULL) return NULL;
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c != NULL) memcpy(c, s, n);
    return c;
}

fw_embed_status fw_embed_create(const fw_embed_model_desc *d, const uint32_t *outputs, size_t output_count,
                                fw_embed_precision precision, uint32_t num_threads, fw_embed_model **model_out,
                                fw_embed_error *error) {
    if (model_out == NULL) return fail(error, FW_EMBED_INVALID_ARGUMENT, "model_out is NULL");
    *model_out = NULL;
    if (d == NULL) return fail(error, FW_EMBED_INVALID_ARGUMENT, "description is NULL");
    if (precision != FW_EMBED_INT8 && precision != FW_EMBED_FP32)
        return fail(error, FW_EMBED_INVALID_ARGUMENT, "unknown precision %d", (int)precision);
    if (outputs == NULL || output_count == 0 || output_count > FW_EMBED_MAX_OUTPUTS)
        return fail(error, FW_EMBED_INVALID_ARGUMENT, "need 1..%d outputs, got %zu", FW_EMBED_MAX_OUTPUTS, output_count);

    fw_embed_status status = fw_embed_initialize(error);
    if (status != FW_EMBED_OK) return status;
    status = check_description(d, precision, error);
    if (status != FW_EMBED_OK) return status;

    /* Execution order: every layer input must be the network input or written by an earlier
     * layer, and each tensor has one writer. */
    int32_t *writer = malloc(d->tensor_count * sizeof *writer);
    bool *needed = calloc(d->tensor_count, sizeof *needed);
    bool *layer_used = calloc(d->layer_count, sizeof *layer_used);
    uint32_t *value_id = malloc(d->tensor_count * sizeof *value_id);
    xnn_subgraph_t g = NULL;
    fw_embed_model *m = NULL;
    if (!writer || !needed || !layer_used || !value_id) {
        status = fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    for (uint32_t t = 0; t < d->tensor_count; t++) {
        writer[t] = -1;
        value_id[t] = XNN_INVALID_VALUE_ID;
    }
    for (uint32_t i = 0; i < d->layer_count; i++) {
        const fw_embed_layer *L = &d->layers[i];
        const uint32_t n_inputs = L->op == FW_EMBED_OP_ADD ? 2 : 1;
        for (uint32_t k = 0; k < n_inputs; k++) {
            if (L->inputs[k] != d->input_tensor && writer[L->inputs[k]] < 0) {
                status = fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s) reads tensor %u before any layer writes it",
                              i, display_name(L->name), L->inputs[k]);
                goto done;
            }
        }
        if (writer[L->output] >= 0) {
            status = fail(error, FW_EMBED_INVALID_ARGUMENT, "tensor %u is written by layers %d and %u", L->output,
                          (int)writer[L->output], i);
            goto done;
        }
        writer[L->output] = (int32_t)i;
    }

    /* Requested outputs, then walk backwards to keep only the layers they depend on. */
    for (size_t k = 0; k < output_count; k++) {
        const uint32_t t = outputs[k];
        if (t >= d->tensor_count || writer[t] < 0) {
            status = fail(error, FW_EMBED_INVALID_ARGUMENT, "requested output %zu: tensor %u is not written by any layer",
                          k, t);
            goto done;
        }
        for (size_t j = 0; j < k; j++) {
            if (outputs[j] == t) {
                status = fail(error, FW_EMBED_INVALID_ARGUMENT, "tensor %u requested twice", t);
                goto done;
            }
        }
        needed[t] = true;
    }
    uint32_t layers_used = 0;
    for (uint32_t i = d->layer_count; i-- > 0;) {
        const fw_embed_layer *L = &d->layers[i];
        if (!needed[L->output]) continue;
        layer_used[i] = true;
        layers_used++;
        needed[L->inputs[0]] = true;
        if (L->op == FW_EMBED_OP_ADD) needed[L->inputs[1]] = true;
    }

    m = calloc(1, sizeof *m);
    if (m == NULL) {
        status = fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    m->precision = precision;
    m->num_threads = num_threads > 1 ? num_threads : 1;
    m->layers_used = layers_used;
    m->layers_total = d->layer_count;
    m->output_count = output_count;

    const fw_embed_tensor *input = &d->tensors[d->input_tensor];
    memcpy(m->input_shape, input->shape, sizeof m->input_shape);
    m->input_size = element_count(input->shape);
    m->input_buffer = aligned_alloc_padded(m->input_size * sizeof(float));
    if (m->input_buffer == NULL) {
        status = fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < output_count; k++) {
        const fw_embed_tensor *T = &d->tensors[outputs[k]];
        m->output_tensor[k] = outputs[k];
        memcpy(m->output_shape[k], T->shape, sizeof m->output_shape[k]);
        m->output_size[k] = element_count(T->shape);
        m->output_buffer[k] = aligned_alloc_padded(m->output_size[k] * sizeof(float));
        m->output_name[k] = copy_string(T->name);
        if (m->output_buffer[k] == NULL || (T->name != NULL && m->output_name[k] == NULL)) {
            status = fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory");
            goto done;
        }
    }

    /* External ids: 0 is the fp32 input, 1..n the fp32 outputs. */
    enum xnn_status xs = xnn_create_subgraph((uint32_t)(1 + output_count), 0, &g);
    if (xs != xnn_status_success) {
        status = fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_create_subgraph: %s", xnn_status_name(xs));
        goto done;
    }

#define CHECK_XNN(expr, ...)                                                                                 \
    do {                                                                                                     \
        xs = (expr);                                                                                         \
        if (xs != xnn_status_success) {                                                                      \
            char what_[256];                                                                                 \
            snprintf(what_, sizeof what_, __VA_ARGS__);                                                      \
            status = fail(error, xs == xnn_status_out_of_memory ? FW_EMBED_OUT_OF_MEMORY : FW_EMBED_XNNPACK_FAILED, \
                          "%s: %s", what_, xnn_status_name(xs));                                             \
            goto done;                                                                                       \
        }                                                                                                    \
    } while (0)

    {
        size_t in_dims[4] = {input->shape[0], input->shape[1], input->shape[2], input->shape[3]};
        uint32_t ext_in;
        CHECK_XNN(xnn_define_tensor_value(g, xnn_datatype_fp32, 4, in_dims, NULL, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT,
                                          &ext_in), "xnn_define_tensor_value (fp32 input)");
        if (precision == FW_EMBED_INT8) {
            /* fp32 -> qs8 with the input tensor's own scale / zero point. */
            CHECK_XNN(define_activation(m, g, input, XNN_INVALID_VALUE_ID, 0, &value_id[d->input_tensor]),
                      "define qs8 input");
            CHECK_XNN(xnn_define_convert(g, ext_in, value_id[d->input_tensor], 0), "xnn_define_convert (input)");
            m->xnn_nodes++;
        } else {
            value_id[d->input_tensor] = ext_in;
        }
    }

    for (uint32_t i = 0; i < d->layer_count; i++) {
        if (!layer_used[i]) continue;
        const fw_embed_layer *L = &d->layers[i];
        const char *name = display_name(L->name);
        const fw_embed_tensor *out = &d->tensors[L->output];

        /* In fp32 a requested output is itself the external value; in int8 it stays qs8 and a
         * convert node (below) produces the external fp32 copy. */
        uint32_t external = XNN_INVALID_VALUE_ID, flags = 0;
        if (precision == FW_EMBED_FP32) {
            for (size_t k = 0; k < output_count; k++) {
                if (outputs[k] == L->output) {
                    external = (uint32_t)(1 + k);
                    flags = XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
                }
            }
        }
        CHECK_XNN(define_activation(m, g, out, external, flags, &value_id[L->output]), "define output of %s", name);

        const uint32_t x = value_id[L->inputs[0]], y = value_id[L->output];
        switch (L->op) {
            case FW_EMBED_OP_CONV:
            case FW_EMBED_OP_DEPTHWISE_CONV: {
                uint32_t filter_id, bias_id;
                status = define_conv_params(m, g, d, L, &filter_id, &bias_id, error);
                if (status != FW_EMBED_OK) goto done;
                const uint32_t dil_h = L->dilation_h ? L->dilation_h : 1, dil_w = L->dilation_w ? L->dilation_w : 1;
                if (L->op == FW_EMBED_OP_CONV) {
                    CHECK_XNN(xnn_define_convolution_2d(g, L->pad_top, L->pad_right, L->pad_bottom, L->pad_left,
                                                        L->kernel_h, L->kernel_w, L->stride_h, L->stride_w, dil_h, dil_w,
                                                        1, L->input_channels, L->output_channels, L->output_min,
                                                        L->output_max, x, filter_id, bias_id, y, 0),
                              "xnn_define_convolution_2d (%s)", name);
                } else {
                    CHECK_XNN(xnn_define_depthwise_convolution_2d(g, L->pad_top, L->pad_right, L->pad_bottom,
                                                                  L->pad_left, L->kernel_h, L->kernel_w, L->stride_h,
                                                                  L->stride_w, dil_h, dil_w, 1, L->input_channels,
                                                                  L->output_min, L->output_max, x, filter_id, bias_id,
                                                                  y, 0),
                              "xnn_define_depthwise_convolution_2d (%s)", name);
                }
                break;
            }
            case FW_EMBED_OP_ADD:
                CHECK_XNN(xnn_define_add2(g, L->output_min, L->output_max, x, value_id[L->inputs[1]], y, 0),
                          "xnn_define_add2 (%s)", name);
                break;
            case FW_EMBED_OP_GLOBAL_AVG_POOL:
                CHECK_XNN(xnn_define_global_average_pooling_2d(g, L->output_min, L->output_max, x, y, 0),
                          "xnn_define_global_average_pooling_2d (%s)", name);
                break;
        }
        m->xnn_nodes++;
    }

    if (precision == FW_EMBED_INT8) {
        for (size_t k = 0; k < output_count; k++) {
            const fw_embed_tensor *T = &d->tensors[outputs[k]];
            size_t dims[4] = {T->shape[0], T->shape[1], T->shape[2], T->shape[3]};
            uint32_t ext;
            CHECK_XNN(xnn_define_tensor_value(g, xnn_datatype_fp32, 4, dims, NULL, (uint32_t)(1 + k),
                                              XNN_VALUE_FLAG_EXTERNAL_OUTPUT, &ext),
                      "xnn_define_tensor_value (fp32 output %s)", display_name(T->name));
            CHECK_XNN(xnn_define_convert(g, value_id[outputs[k]], ext, 0), "xnn_define_convert (output %s)",
                      display_name(T->name));
            m->xnn_nodes++;
        }
    }

    if (m->num_threads > 1) {
        m->threadpool = pthreadpool_create(m->num_threads);
        if (m->threadpool == NULL) {
            status = fail(error, FW_EMBED_OUT_OF_MEMORY, "pthreadpool_create(%u) failed", m->num_threads);
            goto done;
        }
    }
    CHECK_XNN(xnn_create_runtime_v2(g, m->threadpool, 0, &m->runtime), "xnn_create_runtime_v2");

    /* The buffers never move, so bind them once; fw_embed_run only copies and invokes. */
    {
        struct xnn_external_value ext[1 + FW_EMBED_MAX_OUTPUTS];
        ext[0].id = 0;
        ext[0].data = m->input_buffer;
        for (size_t k = 0; k < output_count; k++) {
            ext[1 + k].id = (uint32_t)(1 + k);
            ext[1 + k].data = m->output_buffer[k];
        }
        CHECK_XNN(xnn_setup_runtime(m->runtime, 1 + output_count, ext), "xnn_setup_runtime");
    }
#undef CHECK_XNN

    status = FW_EMBED_OK;
    *model_out = m;
    m = NULL;

done:
    /* The subgraph is only a blueprint; the runtime has what it needs (weights stay in m). */
    if (g != NULL) xnn_delete_subgraph(g);
    fw_embed_destroy(m);
    free(writer);
    free(needed);
    free(layer_used);
    free(value_id);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * Inference
 * ------------------------------------------------------------------------------------------- */

static fw_embed_status invoke_and_copy(fw_embed_model *m, float *const *outputs, fw_embed_error *error) {
    enum xnn_status xs = xnn_invoke_runtime(m->runtime);
    if (xs != xnn_status_success)
        return fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_invoke_runtime: %s", xnn_status_name(xs));
    for (size_t k = 0; k < m->output_count; k++) memcpy(outputs[k], m->output_buffer[k], m->output_size[k] * sizeof(float));
    return FW_EMBED_OK;
}

static fw_embed_status check_run_args(const fw_embed_model *m, const void *input, float *const *outputs,
                                      fw_embed_error *error) {
    if (m == NULL || input == NULL || outputs == NULL)
        return fail(error, FW_EMBED_INVALID_ARGUMENT, "model, input and outputs must not be NULL");
    for (size_t k = 0; k < m->output_count; k++)
        if (outputs[k] == NULL) return fail(error, FW_EMBED_INVALID_ARGUMENT, "output buffer %zu is NULL", k);
    return FW_EMBED_OK;
}

fw_embed_status fw_embed_run(fw_embed_model *m, const float *input, float *const *outputs, fw_embed_error *error) {
    fw_embed_status s = check_run_args(m, input, outputs, error);
    if (s != FW_EMBED_OK) return s;
    memcpy(m->input_buffer, input, m->input_size * sizeof(float));
    return invoke_and_copy(m, outputs, error);
}

fw_embed_status fw_embed_run_rgb8(fw_embed_model *m, const uint8_t *rgb, float *const *outputs, fw_embed_error *error) {
    fw_embed_status s = check_run_args(m, rgb, outputs, error);
    if (s != FW_EMBED_OK) return s;
    /* (pixel - 127) / 128 is exact in float32, so this equals what a caller would compute. */
    for (size_t i = 0; i < m->input_size; i++) m->input_buffer[i] = ((float)rgb[i] - 127.0f) * 0.0078125f;
    return invoke_and_copy(m, outputs, error);
}

/* ---------------------------------------------------------------------------------------------
 * Introspection
 * ------------------------------------------------------------------------------------------- */

size_t fw_embed_input_size(const fw_embed_model *m) { return m != NULL ? m->input_size : 0; }

void fw_embed_input_shape(const fw_embed_model *m, uint32_t shape[4]) {
    if (m != NULL) memcpy(shape, m->input_shape, sizeof m->input_shape);
    else memset(shape, 0, 4 * sizeof *shape);
}

size_t fw_embed_output_count(const fw_embed_model *m) { return m != NULL ? m->output_count : 0; }

size_t fw_embed_output_size(const fw_embed_model *m, size_t index) {
    return m != NULL && index < m->output_count ? m->output_size[index] : 0;
}

void fw_embed_output_shape(const fw_embed_model *m, size_t index, uint32_t shape[4]) {
    if (m != NULL && index < m->output_count) memcpy(shape, m->output_shape[index], 4 * sizeof *shape);
    else memset(shape, 0, 4 * sizeof *shape);
}

uint32_t fw_embed_output_tensor(const fw_embed_model *m, size_t index) {
    return m != NULL && index < m->output_count ? m->output_tensor[index] : UINT32_MAX;
}

const char *fw_embed_output_name(const fw_embed_model *m, size_t index) {
    return m != NULL && index < m->output_count ? m->output_name[index] : NULL;
}

void fw_embed_get_info(const fw_embed_model *m, fw_embed_info *info) {
    memset(info, 0, sizeof *info);
    if (m == NULL) return;
    info->precision = m->precision;
    info->num_threads = m->num_threads;
    info->layers_used = m->layers_used;
    info->layers_total = m->layers_total;
    info->xnn_nodes = m->xnn_nodes;
    info->weight_bytes = m->weight_bytes;
}
