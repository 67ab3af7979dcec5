/* Reports sizeof / offsetof for FlukeEmbed.h's structs so check.py can verify its ctypes mirror
 * (the same structs Swift will fill). Query strings: "sizeof STRUCT" or "offsetof STRUCT FIELD". */
#include <stddef.h>
#include <string.h>

#include "FlukeEmbed.h"

#define SIZE(s) if (strcmp(q, "sizeof " #s) == 0) return sizeof(s);
#define OFF(s, f) if (strcmp(q, "offsetof " #s " " #f) == 0) return offsetof(s, f);

size_t fw_probe(const char *q) {
    SIZE(fw_embed_error) SIZE(fw_embed_tensor) SIZE(fw_embed_layer) SIZE(fw_embed_model_desc) SIZE(fw_embed_info)
    OFF(fw_embed_error, message)
    OFF(fw_embed_tensor, name) OFF(fw_embed_tensor, shape) OFF(fw_embed_tensor, scale) OFF(fw_embed_tensor, zero_point)
    OFF(fw_embed_layer, op) OFF(fw_embed_layer, name) OFF(fw_embed_layer, inputs) OFF(fw_embed_layer, output)
    OFF(fw_embed_layer, kernel_h) OFF(fw_embed_layer, kernel_w) OFF(fw_embed_layer, stride_h) OFF(fw_embed_layer, stride_w)
    OFF(fw_embed_layer, dilation_h) OFF(fw_embed_layer, dilation_w)
    OFF(fw_embed_layer, pad_top) OFF(fw_embed_layer, pad_right) OFF(fw_embed_layer, pad_bottom) OFF(fw_embed_layer, pad_left)
    OFF(fw_embed_layer, groups) OFF(fw_embed_layer, input_channels) OFF(fw_embed_layer, output_channels)
    OFF(fw_embed_layer, output_min) OFF(fw_embed_layer, output_max)
    OFF(fw_embed_layer, weights) OFF(fw_embed_layer, bias) OFF(fw_embed_layer, weight_scales)
    OFF(fw_embed_layer, weights_f32) OFF(fw_embed_layer, bias_f32)
    OFF(fw_embed_model_desc, tensors) OFF(fw_embed_model_desc, tensor_count) OFF(fw_embed_model_desc, layers)
    OFF(fw_embed_model_desc, layer_count) OFF(fw_embed_model_desc, input_tensor)
    OFF(fw_embed_info, precision) OFF(fw_embed_info, num_threads) OFF(fw_embed_info, layers_used)
    OFF(fw_embed_info, layers_total) OFF(fw_embed_info, xnn_nodes) OFF(fw_embed_info, weight_bytes)
    return (size_t)-1;
}
