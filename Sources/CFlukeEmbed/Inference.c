/*
 * Running a built model, and what callers may ask about it.
 */
#include "Internal.h"

#include <string.h>

static fw_embed_status invoke_and_copy(fw_embed_model *m, float *const *outputs, fw_embed_error *error) {
    enum xnn_status xs = xnn_invoke_runtime(m->runtime);
    if (xs != xnn_status_success)
        return fwe_fail(error, FW_EMBED_XNNPACK_FAILED, "xnn_invoke_runtime: %s", fwe_status_name(xs));
    for (size_t k = 0; k < m->output_count; k++) memcpy(outputs[k], m->output_buffer[k], m->output_size[k] * sizeof(float));
    return FW_EMBED_OK;
}

static fw_embed_status check_run_args(const fw_embed_model *m, const void *input, float *const *outputs,
                                      fw_embed_error *error) {
    if (m == NULL || input == NULL || outputs == NULL)
        return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "model, input and outputs must not be NULL");
    for (size_t k = 0; k < m->output_count; k++)
        if (outputs[k] == NULL) return fwe_fail(error, FW_EMBED_INVALID_ARGUMENT, "output buffer %zu is NULL", k);
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
