/*
 * Validation of the caller's model description: ids, shapes and data present, and for int8 the
 * requantization limits XNNPACK enforces, each failure named by layer so an operator can tell
 * which part of a model package is wrong.
 */
#include "Internal.h"

#include <math.h>
#include <string.h>

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
    const char *name = fwe_display_name(L->name);
    const uint32_t n_inputs = L->op == FW_EMBED_OP_ADD ? 2 : 1;
    for (uint32_t i = 0; i < n_inputs; i++) {
        if (L->inputs[i] >= d->tensor_count)
            return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): input tensor %u out of range (%u tensors)",
                        index, name, L->inputs[i], d->tensor_count);
    }
    if (L->output >= d->tensor_count)
        return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): output tensor %u out of range", index, name,
                    L->output);
    if (L->output == d->input_tensor)
        return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s) writes the input tensor", index, name);
    if (isnan(L->output_min) || isnan(L->output_max) || !(L->output_min < L->output_max))
        return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT,
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
                return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): zero kernel or stride", index, name);
            if (L->input_channels != in->shape[3] || L->output_channels != out->shape[3])
                return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT,
                            "layer %u (%s): channels %u->%u but tensors have %u->%u", index, name,
                            L->input_channels, L->output_channels, in->shape[3], out->shape[3]);
            if (dw ? (L->groups != L->input_channels || L->input_channels != L->output_channels) : L->groups != 1)
                return fwe_fail(error, FW_EMBED_UNSUPPORTED,
                            "layer %u (%s): groups %u unsupported (conv needs 1, depthwise needs groups == in == out "
                            "channels)", index, name, L->groups);
            uint32_t oh = conv_extent(in->shape[1], L->pad_top, L->pad_bottom, L->kernel_h, L->stride_h, dil_h);
            uint32_t ow = conv_extent(in->shape[2], L->pad_left, L->pad_right, L->kernel_w, L->stride_w, dil_w);
            if (oh != out->shape[1] || ow != out->shape[2])
                return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT,
                            "layer %u (%s): %ux%u input, kernel %ux%u, stride %ux%u, padding t%u r%u b%u l%u gives "
                            "%ux%u, but the output tensor is %ux%u", index, name, in->shape[1], in->shape[2],
                            L->kernel_h, L->kernel_w, L->stride_h, L->stride_w, L->pad_top, L->pad_right,
                            L->pad_bottom, L->pad_left, oh, ow, out->shape[1], out->shape[2]);
            const bool have_f32 = L->weights_f32 != NULL || L->bias_f32 != NULL;
            if (have_f32 && (L->weights_f32 == NULL || L->bias_f32 == NULL))
                return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): give both weights_f32 and bias_f32, or neither",
                            index, name);
            const bool need_int8_data = int8 || !have_f32;
            if (need_int8_data && (L->weights == NULL || L->bias == NULL || L->weight_scales == NULL))
                return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): weights, bias or weight_scales missing",
                            index, name);
            if (need_int8_data) {
                for (uint32_t c = 0; c < L->output_channels; c++) {
                    const float ws = L->weight_scales[c];
                    if (!fwe_finite_positive(ws))
                        return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): weight scale %u is %g", index,
                                    name, c, (double)ws);
                    if (int8) {
                        /* XNNPACK's qc8 conv requantizes with input_scale * w_scale / output_scale. */
                        const double r = (double)in->scale * ws / out->scale;
                        if (!(r >= 0x1.0p-32 && r < 256.0))
                            return fwe_fail(error, FW_EMBED_UNSUPPORTED,
                                        "layer %u (%s): channel %u requantization scale %g outside XNNPACK's "
                                        "[2^-32, 256)", index, name, c, r);
                    }
                }
            }
            break;
        }
        case FW_EMBED_OP_ADD: {
            if (L->inputs[1] >= d->tensor_count)
                return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): input tensor %u out of range", index,
                            name, L->inputs[1]);
            const fw_embed_tensor *b = &d->tensors[L->inputs[1]];
            if (memcmp(in->shape, out->shape, sizeof in->shape) != 0 || memcmp(b->shape, out->shape, sizeof b->shape) != 0)
                return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): add needs equal shapes (no broadcast)",
                            index, name);
            if (int8) {
                const double ra = (double)in->scale / out->scale, rb = (double)b->scale / out->scale;
                if (!(ra >= 0x1.0p-10 && ra < 256.0 && rb >= 0x1.0p-10 && rb < 256.0))
                    return fwe_fail(error, FW_EMBED_UNSUPPORTED,
                                "layer %u (%s): input/output scale ratios %g, %g outside XNNPACK's [2^-10, 2^8)", index,
                                name, ra, rb);
            }
            break;
        }
        case FW_EMBED_OP_GLOBAL_AVG_POOL: {
            if (out->shape[1] != 1 || out->shape[2] != 1 || out->shape[3] != in->shape[3])
                return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): output must be [1,1,1,%u]", index, name,
                            in->shape[3]);
            if (int8) {
                const double r = (double)in->scale / out->scale;
                if (!(r >= 0x1.0p-8 && r < 256.0))
                    return fwe_fail(error, FW_EMBED_UNSUPPORTED,
                                "layer %u (%s): input/output scale ratio %g outside XNNPACK's [2^-8, 2^8)", index, name, r);
            }
            break;
        }
        default:
            return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "layer %u (%s): unknown op %d", index, name, (int)L->op);
    }
    return FW_EMBED_OK;
}

fw_embed_status fwe_check_description(const fw_embed_model_desc *d, fw_embed_precision precision,
                                         fw_embed_error *error) {
    if (d->tensors == NULL || d->tensor_count == 0 || d->layers == NULL || d->layer_count == 0)
        return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "empty model description");
    if (d->input_tensor >= d->tensor_count)
        return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "input tensor %u out of range", d->input_tensor);
    for (uint32_t t = 0; t < d->tensor_count; t++) {
        const fw_embed_tensor *T = &d->tensors[t];
        if (T->shape[0] != 1 || T->shape[1] == 0 || T->shape[2] == 0 || T->shape[3] == 0)
            return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "tensor %u (%s): shape %ux%ux%ux%u (need N=1, no zeros)",
                        t, fwe_display_name(T->name), T->shape[0], T->shape[1], T->shape[2], T->shape[3]);
        if (precision == FW_EMBED_INT8 &&
            (!fwe_finite_positive(T->scale) || T->zero_point < -128 || T->zero_point > 127))
            return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "tensor %u (%s): bad qs8 parameters (scale %g, zero point %d)",
                        t, fwe_display_name(T->name), (double)T->scale, (int)T->zero_point);
    }
    for (uint32_t i = 0; i < d->layer_count; i++) {
        fw_embed_status s = check_layer(d, i, precision, error);
        if (s != FW_EMBED_OK) return s;
    }
    return FW_EMBED_OK;
}
