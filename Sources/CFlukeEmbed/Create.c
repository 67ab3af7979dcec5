/*
 * FlukeEmbed: EfficientNet-Lite0 (or any net made of the same four layer kinds) on XNNPACK's
 * subgraph API. See include/FlukeEmbed.h for the contract; this file builds a model from a
 * description (Validation.c has checked it first), Inference.c runs it.
 *
 * Written against Debian bookworm's XNNPACK (snapshot 2022-02-16, ae108ef): only subgraph calls
 * that exist in that header are used (quantized / channelwise-quantized tensor values, convert,
 * convolution_2d, depthwise_convolution_2d, add2, global_average_pooling_2d, create_runtime_v2).
 */
#include "Internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Defines a static weight / bias pair for one conv layer and returns their value ids. */
static fw_embed_status define_conv_params(fw_embed_model *m, xnn_subgraph_t g, const fw_embed_model_desc *d,
                                          const fw_embed_layer *L, uint32_t *filter_id, uint32_t *bias_id,
                                          fw_embed_error *error) {
    const bool dw = L->op == FW_EMBED_OP_DEPTHWISE_CONV;
    const char *name = fwe_display_name(L->name);
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
        int8_t *w = fwe_own(m, n_weights);
        int32_t *b = fwe_own(m, oc * sizeof *b);
        float *ws = fwe_own(m, oc * sizeof *ws);
        float *bs = fwe_own(m, oc * sizeof *bs);
        if (!w || !b || !ws || !bs) return fwe_fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory copying %s", name);
        memcpy(w, L->weights, n_weights);
        memcpy(b, L->bias, oc * sizeof *b);
        memcpy(ws, L->weight_scales, oc * sizeof *ws);
        /* The bias scale is the float32 product input_scale * weight_scale[c], as in the manifest. */
        for (size_t c = 0; c < oc; c++) bs[c] = in_scale * ws[c];
        xs = xnn_define_channelwise_quantized_tensor_value(g, xnn_datatype_qcint8, ws, 4, channel_dim, filter_dims, w,
                                                           XNN_INVALID_VALUE_ID, 0, filter_id);
        if (xs != xnn_status_success)
            return fwe_fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_define_channelwise_quantized_tensor_value (qcint8 filter "
                        "of %s): %s", name, fwe_status_name(xs));
        size_t bias_dims[1] = {oc};
        xs = xnn_define_channelwise_quantized_tensor_value(g, xnn_datatype_qcint32, bs, 1, 0, bias_dims, b,
                                                           XNN_INVALID_VALUE_ID, 0, bias_id);
        if (xs != xnn_status_success)
            return fwe_fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_define_channelwise_quantized_tensor_value (qcint32 bias "
                        "of %s): %s", name, fwe_status_name(xs));
        return FW_EMBED_OK;
    }

    float *w = fwe_own(m, n_weights * sizeof *w);
    float *b = fwe_own(m, oc * sizeof *b);
    if (!w || !b) return fwe_fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory copying %s", name);
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
        return fwe_fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_define_tensor_value (fp32 filter of %s): %s", name,
                    fwe_status_name(xs));
    size_t bias_dims[1] = {oc};
    xs = xnn_define_tensor_value(g, xnn_datatype_fp32, 1, bias_dims, b, XNN_INVALID_VALUE_ID, 0, bias_id);
    if (xs != xnn_status_success)
        return fwe_fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_define_tensor_value (fp32 bias of %s): %s", name,
                    fwe_status_name(xs));
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

/* ---------------------------------------------------------------------------------------------
 * fw_embed_create, in its phases
 * ------------------------------------------------------------------------------------------- */

/* Which layers the requested outputs depend on. Execution order: every layer input must be the
 * network input or written by an earlier layer, and each tensor has one writer; every requested
 * output must be written by some layer and requested once. Fills layer_used (one per layer). */
static fw_embed_status plan_layers(const fw_embed_model_desc *d, const uint32_t *outputs, size_t output_count,
                                   bool *layer_used, uint32_t *layers_used, fw_embed_error *error) {
    fw_embed_status status = FW_EMBED_OK;
    int32_t *writer = malloc(d->tensor_count * sizeof *writer);
    bool *needed = calloc(d->tensor_count, sizeof *needed);
    if (!writer || !needed) {
        status = fwe_fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    for (uint32_t t = 0; t < d->tensor_count; t++) writer[t] = -1;
    for (uint32_t i = 0; i < d->layer_count; i++) {
        const fw_embed_layer *L = &d->layers[i];
        const uint32_t n_inputs = L->op == FW_EMBED_OP_ADD ? 2 : 1;
        for (uint32_t k = 0; k < n_inputs; k++) {
            if (L->inputs[k] != d->input_tensor && writer[L->inputs[k]] < 0) {
                status = fwe_fail(error, FW_EMBED_INVALID_ARGUMENT,
                                  "layer %u (%s) reads tensor %u before any layer writes it", i,
                                  fwe_display_name(L->name), L->inputs[k]);
                goto done;
            }
        }
        if (writer[L->output] >= 0) {
            status = fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "tensor %u is written by layers %d and %u", L->output,
                              (int)writer[L->output], i);
            goto done;
        }
        writer[L->output] = (int32_t)i;
    }

    /* Requested outputs, then walk backwards to keep only the layers they depend on. */
    for (size_t k = 0; k < output_count; k++) {
        const uint32_t t = outputs[k];
        if (t >= d->tensor_count || writer[t] < 0) {
            status = fwe_fail(error, FW_EMBED_INVALID_ARGUMENT,
                              "requested output %zu: tensor %u is not written by any layer", k, t);
            goto done;
        }
        for (size_t j = 0; j < k; j++) {
            if (outputs[j] == t) {
                status = fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "tensor %u requested twice", t);
                goto done;
            }
        }
        needed[t] = true;
    }
    *layers_used = 0;
    for (uint32_t i = d->layer_count; i-- > 0;) {
        const fw_embed_layer *L = &d->layers[i];
        if (!needed[L->output]) continue;
        layer_used[i] = true;
        (*layers_used)++;
        needed[L->inputs[0]] = true;
        if (L->op == FW_EMBED_OP_ADD) needed[L->inputs[1]] = true;
    }

done:
    free(writer);
    free(needed);
    return status;
}

/* The model object with its input and output buffers and output names, no XNNPACK state yet.
 * *model_out is set as soon as it exists, so the caller destroys it on any failure. */
static fw_embed_status allocate_model(const fw_embed_model_desc *d, const uint32_t *outputs, size_t output_count,
                                      fw_embed_precision precision, uint32_t num_threads, uint32_t layers_used,
                                      fw_embed_model **model_out, fw_embed_error *error) {
    fw_embed_model *m = calloc(1, sizeof *m);
    *model_out = m;
    if (m == NULL) return fwe_fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory");
    m->precision = precision;
    m->num_threads = num_threads > 1 ? num_threads : 1;
    m->layers_used = layers_used;
    m->layers_total = d->layer_count;
    m->output_count = output_count;

    const fw_embed_tensor *input = &d->tensors[d->input_tensor];
    memcpy(m->input_shape, input->shape, sizeof m->input_shape);
    m->input_size = fwe_element_count(input->shape);
    m->input_buffer = fwe_alloc_padded(m->input_size * sizeof(float));
    if (m->input_buffer == NULL) return fwe_fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory");
    for (size_t k = 0; k < output_count; k++) {
        const fw_embed_tensor *T = &d->tensors[outputs[k]];
        m->output_tensor[k] = outputs[k];
        memcpy(m->output_shape[k], T->shape, sizeof m->output_shape[k]);
        m->output_size[k] = fwe_element_count(T->shape);
        m->output_buffer[k] = fwe_alloc_padded(m->output_size[k] * sizeof(float));
        m->output_name[k] = fwe_copy_string(T->name);
        if (m->output_buffer[k] == NULL || (T->name != NULL && m->output_name[k] == NULL))
            return fwe_fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory");
    }
    return FW_EMBED_OK;
}

/* Returns from the enclosing function (which has an `error` parameter) when an XNNPACK call
 * fails, naming the call; out-of-memory keeps its own status. */
#define CHECK_XNN(expr, ...)                                                                                     \
    do {                                                                                                         \
        const enum xnn_status xs_ = (expr);                                                                      \
        if (xs_ != xnn_status_success) {                                                                         \
            char what_[256];                                                                                     \
            snprintf(what_, sizeof what_, __VA_ARGS__);                                                          \
            return fwe_fail(error, xs_ == xnn_status_out_of_memory ? FW_EMBED_OUT_OF_MEMORY : FW_EMBED_XNNPACK_FAILED, \
                            "%s: %s", what_, fwe_status_name(xs_));                                              \
        }                                                                                                        \
    } while (0)

/* External value 0, the fp32 input; for int8, converted to qs8 with the input tensor's own scale
 * and zero point. */
static fw_embed_status define_input(fw_embed_model *m, xnn_subgraph_t g, const fw_embed_model_desc *d,
                                    uint32_t *value_id, fw_embed_error *error) {
    const fw_embed_tensor *input = &d->tensors[d->input_tensor];
    size_t in_dims[4] = {input->shape[0], input->shape[1], input->shape[2], input->shape[3]};
    uint32_t ext_in;
    CHECK_XNN(xnn_define_tensor_value(g, xnn_datatype_fp32, 4, in_dims, NULL, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT,
                                      &ext_in), "xnn_define_tensor_value (fp32 input)");
    if (m->precision == FW_EMBED_INT8) {
        CHECK_XNN(define_activation(m, g, input, XNN_INVALID_VALUE_ID, 0, &value_id[d->input_tensor]),
                  "define qs8 input");
        CHECK_XNN(xnn_define_convert(g, ext_in, value_id[d->input_tensor], 0), "xnn_define_convert (input)");
        m->xnn_nodes++;
    } else {
        value_id[d->input_tensor] = ext_in;
    }
    return FW_EMBED_OK;
}

/* One layer: its output value and its node. */
static fw_embed_status define_layer(fw_embed_model *m, xnn_subgraph_t g, const fw_embed_model_desc *d,
                                    const fw_embed_layer *L, const uint32_t *outputs, size_t output_count,
                                    uint32_t *value_id, fw_embed_error *error) {
    const char *name = fwe_display_name(L->name);
    const fw_embed_tensor *out = &d->tensors[L->output];

    /* In fp32 a requested output is itself the external value; in int8 it stays qs8 and a
     * convert node (define_outputs) produces the external fp32 copy. */
    uint32_t external = XNN_INVALID_VALUE_ID, flags = 0;
    if (m->precision == FW_EMBED_FP32) {
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
            const fw_embed_status status = define_conv_params(m, g, d, L, &filter_id, &bias_id, error);
            if (status != FW_EMBED_OK) return status;
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
    return FW_EMBED_OK;
}

/* int8 only: external values 1..n, each requested qs8 output converted to fp32. */
static fw_embed_status define_outputs(fw_embed_model *m, xnn_subgraph_t g, const fw_embed_model_desc *d,
                                      const uint32_t *outputs, size_t output_count, const uint32_t *value_id,
                                      fw_embed_error *error) {
    for (size_t k = 0; k < output_count; k++) {
        const fw_embed_tensor *T = &d->tensors[outputs[k]];
        size_t dims[4] = {T->shape[0], T->shape[1], T->shape[2], T->shape[3]};
        uint32_t ext;
        CHECK_XNN(xnn_define_tensor_value(g, xnn_datatype_fp32, 4, dims, NULL, (uint32_t)(1 + k),
                                          XNN_VALUE_FLAG_EXTERNAL_OUTPUT, &ext),
                  "xnn_define_tensor_value (fp32 output %s)", fwe_display_name(T->name));
        CHECK_XNN(xnn_define_convert(g, value_id[outputs[k]], ext, 0), "xnn_define_convert (output %s)",
                  fwe_display_name(T->name));
        m->xnn_nodes++;
    }
    return FW_EMBED_OK;
}

/* The thread pool and the runtime. The buffers never move, so they are bound once here and
 * fw_embed_run only copies and invokes. */
static fw_embed_status start_runtime(fw_embed_model *m, xnn_subgraph_t g, fw_embed_error *error) {
    if (m->num_threads > 1) {
        m->threadpool = pthreadpool_create(m->num_threads);
        if (m->threadpool == NULL)
            return fwe_fail(error, FW_EMBED_OUT_OF_MEMORY, "pthreadpool_create(%u) failed", m->num_threads);
    }
    CHECK_XNN(xnn_create_runtime_v2(g, m->threadpool, 0, &m->runtime), "xnn_create_runtime_v2");
    struct xnn_external_value ext[1 + FW_EMBED_MAX_OUTPUTS];
    ext[0].id = 0;
    ext[0].data = m->input_buffer;
    for (size_t k = 0; k < m->output_count; k++) {
        ext[1 + k].id = (uint32_t)(1 + k);
        ext[1 + k].data = m->output_buffer[k];
    }
    CHECK_XNN(xnn_setup_runtime(m->runtime, 1 + m->output_count, ext), "xnn_setup_runtime");
    return FW_EMBED_OK;
}

#undef CHECK_XNN

fw_embed_status fw_embed_create(const fw_embed_model_desc *d, const uint32_t *outputs, size_t output_count,
                                fw_embed_precision precision, uint32_t num_threads, fw_embed_model **model_out,
                                fw_embed_error *error) {
    if (model_out == NULL) return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "model_out is NULL");
    *model_out = NULL;
    if (d == NULL) return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "description is NULL");
    if (precision != FW_EMBED_INT8 && precision != FW_EMBED_FP32)
        return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "unknown precision %d", (int)precision);
    if (outputs == NULL || output_count == 0 || output_count > FW_EMBED_MAX_OUTPUTS)
        return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "need 1..%d outputs, got %zu", FW_EMBED_MAX_OUTPUTS,
                        output_count);

    fw_embed_status status = fw_embed_initialize(error);
    if (status != FW_EMBED_OK) return status;
    status = fwe_check_description(d, precision, error);
    if (status != FW_EMBED_OK) return status;

    bool *layer_used = calloc(d->layer_count, sizeof *layer_used);
    uint32_t *value_id = malloc(d->tensor_count * sizeof *value_id);
    xnn_subgraph_t g = NULL;
    fw_embed_model *m = NULL;
    uint32_t layers_used = 0;
    if (!layer_used || !value_id) {
        status = fwe_fail(error, FW_EMBED_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    for (uint32_t t = 0; t < d->tensor_count; t++) value_id[t] = XNN_INVALID_VALUE_ID;

    status = plan_layers(d, outputs, output_count, layer_used, &layers_used, error);
    if (status != FW_EMBED_OK) goto done;
    status = allocate_model(d, outputs, output_count, precision, num_threads, layers_used, &m, error);
    if (status != FW_EMBED_OK) goto done;

    /* External ids: 0 is the fp32 input, 1..n the fp32 outputs. */
    enum xnn_status xs = xnn_create_subgraph((uint32_t)(1 + output_count), 0, &g);
    if (xs != xnn_status_success) {
        status = fwe_fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_create_subgraph: %s", fwe_status_name(xs));
        goto done;
    }
    status = define_input(m, g, d, value_id, error);
    for (uint32_t i = 0; status == FW_EMBED_OK && i < d->layer_count; i++) {
        if (layer_used[i]) status = define_layer(m, g, d, &d->layers[i], outputs, output_count, value_id, error);
    }
    if (status == FW_EMBED_OK && precision == FW_EMBED_INT8)
        status = define_outputs(m, g, d, outputs, output_count, value_id, error);
    if (status == FW_EMBED_OK) status = start_runtime(m, g, error);
    if (status != FW_EMBED_OK) goto done;

    *model_out = m;
    m = NULL;

done:
    /* The subgraph is only a blueprint; the runtime has what it needs (weights stay in m). */
    if (g != NULL) xnn_delete_subgraph(g);
    fw_embed_destroy(m);
    free(layer_used);
    free(value_id);
    return status;
}
