/*
 * FlukeEmbed: the on-device embedding runtime (EfficientNet-Lite0) on XNNPACK's subgraph API.
 *
 * Why a C layer at all: XNNPACK is a C library whose subgraph API is long argument lists and
 * raw pointers whose lifetimes must outlive the runtime. Keeping that here, behind a handful of
 * functions, lets Swift stay free of XNNPACK's types and of its lifetime rules.
 *
 * Division of work:
 *   - Swift (the caller) parses models/efficientnet-lite0-int8.json itself, maps the .bin, and
 *     fills the plain structs below (one per tensor, one per layer), with pointers into the .bin.
 *   - fw_embed_create() validates that description, COPIES every weight, bias and scale it needs
 *     (so the caller may unmap or release its buffers as soon as create returns), builds the
 *     XNNPACK subgraph and creates the runtime.
 *   - fw_embed_run() converts a preprocessed fp32 image through the network and writes fp32
 *     outputs.
 *
 * Errors: every function that can fail returns an fw_embed_status; a non-zero value comes with a
 * human-readable message in `error` (which may be NULL when the caller does not want it). XNNPACK
 * itself is built without logging on Debian, so the messages here are the only diagnostics.
 *
 * Threads: a model is NOT safe for concurrent use (it owns one XNNPACK runtime, whose activation
 * buffers are reused by every run). Create one model per worker thread; distinct models may run
 * concurrently. fw_embed_initialize() and fw_embed_create() may be called from any thread.
 *
 * Compiles as C11 with no dependencies beyond XNNPACK and pthreadpool.
 */
#ifndef FLUKE_EMBED_H
#define FLUKE_EMBED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Own error type (not FlukeVisionShim's fw_error) so both headers can be imported together. */
typedef struct fw_embed_error {
    char message[512];
} fw_embed_error;

typedef enum fw_embed_status {
    FW_EMBED_OK = 0,
    FW_EMBED_INVALID_ARGUMENT = 1, /* the description is inconsistent (ids, shapes, missing data) */
    FW_EMBED_UNSUPPORTED = 2,      /* valid, but outside what XNNPACK accepts (e.g. requant scale) */
    FW_EMBED_OUT_OF_MEMORY = 3,
    FW_EMBED_XNNPACK_FAILED = 4,   /* an XNNPACK call failed; the message names the call */
} fw_embed_status;

/* Layer kinds of the int8 manifest ("type" in the JSON). */
typedef enum fw_embed_op {
    FW_EMBED_OP_CONV = 1,            /* "conv": dense 2-D convolution, groups must be 1 */
    FW_EMBED_OP_DEPTHWISE_CONV = 2,  /* "depthwise_conv": depth multiplier 1 */
    FW_EMBED_OP_ADD = 3,             /* "add": elementwise sum of two tensors of the same shape */
    FW_EMBED_OP_GLOBAL_AVG_POOL = 4, /* "global_avg_pool": [1,H,W,C] -> [1,1,1,C] */
} fw_embed_op;

/* Arithmetic the runtime uses. */
typedef enum fw_embed_precision {
    /* qs8 activations (per-tensor scale/zero point), qc8 per-output-channel weights, int32
     * biases: the int8 package as built. This is what the daemon runs. */
    FW_EMBED_INT8 = 0,
    /* The same graph in fp32: weights from fw_embed_layer.weights_f32/bias_f32 when given (e.g.
     * the ONNX initializers), otherwise dequantized from the int8 weights (w_q * scale[c],
     * b_q * input_scale * scale[c]). Quantization parameters of tensors are ignored. Exists for
     * benchmarks and for checking the graph wiring against the fp32 reference. */
    FW_EMBED_FP32 = 1,
} fw_embed_precision;

/*
 * One tensor of the manifest ("tensors" in the JSON). The tensor's id is its index in
 * fw_embed_model_desc.tensors, exactly as in the JSON (where tensors[i].id == i).
 * real = scale * (q - zero_point), q in [-128, 127].
 */
typedef struct fw_embed_tensor {
    const char *name;      /* for error messages and fw_embed_output_name; may be NULL */
    uint32_t shape[4];     /* NHWC; N must be 1 */
    float scale;           /* qs8 scale (> 0, finite) */
    int32_t zero_point;    /* qs8 zero point in [-128, 127] */
} fw_embed_tensor;

/*
 * One layer of the manifest ("layers" in the JSON), in execution order. Pointers point at the
 * caller's memory (typically the mapped .bin); they are only read during fw_embed_create.
 * Unused fields (e.g. kernel of an add) must be zero / NULL.
 */
typedef struct fw_embed_layer {
    fw_embed_op op;
    const char *name;             /* for error messages; may be NULL */
    uint32_t inputs[2];           /* tensor ids; inputs[1] only for FW_EMBED_OP_ADD */
    uint32_t output;              /* tensor id written by this layer (each tensor has one writer) */

    /* Convolutions only. */
    uint32_t kernel_h, kernel_w;
    uint32_t stride_h, stride_w;
    uint32_t dilation_h, dilation_w; /* 0 is read as 1 */
    /* Explicit padding, in XNNPACK's (and the manifest's) order: top, right, bottom, left.
     * The model uses TensorFlow 'SAME' padding, which is asymmetric for stride 2. */
    uint32_t pad_top, pad_right, pad_bottom, pad_left;
    uint32_t groups;              /* 1 for conv; == channels for depthwise */
    uint32_t input_channels, output_channels;

    /* Output clamp in real units: ReLU6 is 0 / 6; no activation is -INFINITY / +INFINITY. */
    float output_min, output_max;

    /* int8 weights: conv OHWI [out, kh, kw, in]; depthwise [1, kh, kw, C] (channel dim 3).
     * Symmetric per-output-channel int8 with zero point 0. */
    const int8_t *weights;
    /* output_channels int32 biases, quantized with input_scale * weight_scales[c]. */
    const int32_t *bias;
    /* output_channels per-channel weight scales (float32, as in the .bin). */
    const float *weight_scales;

    /* Optional, FW_EMBED_FP32 only: fp32 weights in the same layout as `weights`, and fp32 biases.
     * Both NULL: dequantize the int8 ones. Ignored by FW_EMBED_INT8. */
    const float *weights_f32;
    const float *bias_f32;
} fw_embed_layer;

/* The whole network as the caller parsed it. */
typedef struct fw_embed_model_desc {
    const fw_embed_tensor *tensors;
    uint32_t tensor_count;
    const fw_embed_layer *layers;
    uint32_t layer_count;
    uint32_t input_tensor;        /* tensor id of the network input (0 in the manifest) */
} fw_embed_model_desc;

/* An XNNPACK runtime for one network and one choice of outputs. */
typedef struct fw_embed_model fw_embed_model;

/*
 * Initializes XNNPACK once per process (thread-safe; later calls return the first result).
 * fw_embed_create calls it itself; calling it at start-up reports an unsupported CPU early.
 */
fw_embed_status fw_embed_initialize(fw_embed_error *error);

/*
 * Builds the runtime.
 *
 * `outputs` lists the tensor ids the caller wants back (e.g. the manifest's "outputs" entries),
 * in the order fw_embed_run will write them. Only the layers those tensors depend on are put in
 * the graph, so asking for s16_c80 alone stops the network early (about half the work).
 * At most FW_EMBED_MAX_OUTPUTS, no duplicates, not the input tensor.
 *
 * The input is fp32 NHWC [1, H, W, C] of the input tensor's shape, already preprocessed
 * ((pixel - 127) / 128, RGB); in FW_EMBED_INT8 a convert node quantizes it with the input
 * tensor's scale/zero point (q = pixel - 128 exactly for the shipped model). Outputs are fp32
 * NHWC (dequantized in FW_EMBED_INT8).
 *
 * `num_threads` <= 1 runs on the calling thread (what the daemon does: one photo per worker);
 * larger values give the model its own pthreadpool of that many threads.
 *
 * Memory: the model keeps its copy of the weights (int8: 3.6 MB for the full net, 0.3 MB up to
 * s16_c80; fp32: 13.4 MB) because XNNPACK requires static data to outlive the runtime, plus
 * XNNPACK's own packed weights and activation arena. Creating takes a few milliseconds (int8) to
 * a few tens of milliseconds (fp32): create once per worker, not per photo.
 *
 * Checks before XNNPACK sees anything (XNNPACK would only say "invalid parameter"):
 * shapes against kernel/stride/padding, tensor ids and execution order, and XNNPACK's int8
 * limits: conv input_scale * weight_scale[c] / output_scale in [2^-32, 256), add input/output
 * scale ratios in [2^-10, 2^8), average-pool ratio in [2^-8, 2^8).
 */
#define FW_EMBED_MAX_OUTPUTS 16 /* the manifest has 7 public outputs */
fw_embed_status fw_embed_create(const fw_embed_model_desc *desc, const uint32_t *outputs,
                                size_t output_count, fw_embed_precision precision,
                                uint32_t num_threads, fw_embed_model **model, fw_embed_error *error);

/* Releases the runtime, its thread pool and the copied weights. NULL is a no-op. */
void fw_embed_destroy(fw_embed_model *model);

/*
 * Runs one image. `input` holds fw_embed_input_size(model) floats (NHWC). `outputs[i]` receives
 * fw_embed_output_size(model, i) floats for the i-th requested output, NHWC.
 * The caller's buffers need no padding or alignment: the model copies through its own buffers
 * (XNNPACK kernels may read a few bytes past the end of their inputs).
 */
fw_embed_status fw_embed_run(fw_embed_model *model, const float *input, float *const *outputs,
                             fw_embed_error *error);

/*
 * As fw_embed_run, but from packed 8-bit RGB pixels of the input size (224 x 224 x 3): applies
 * the model's preprocessing, (pixel - 127) / 128, itself. Saves the caller a float image.
 */
fw_embed_status fw_embed_run_rgb8(fw_embed_model *model, const uint8_t *rgb, float *const *outputs,
                                  fw_embed_error *error);

/* Number of floats of the input (H * W * C). */
size_t fw_embed_input_size(const fw_embed_model *model);
/* Input shape, NHWC. */
void fw_embed_input_shape(const fw_embed_model *model, uint32_t shape[4]);

/* Number of requested outputs (the output_count given to fw_embed_create). */
size_t fw_embed_output_count(const fw_embed_model *model);
/* Floats in the i-th output (0 if out of range). */
size_t fw_embed_output_size(const fw_embed_model *model, size_t index);
/* Shape of the i-th output, NHWC (zeros if out of range). */
void fw_embed_output_shape(const fw_embed_model *model, size_t index, uint32_t shape[4]);
/* Tensor id and name of the i-th output; the name is the model's own copy, NULL if none given. */
uint32_t fw_embed_output_tensor(const fw_embed_model *model, size_t index);
const char *fw_embed_output_name(const fw_embed_model *model, size_t index);

/* What was built, for logs and benchmarks. */
typedef struct fw_embed_info {
    fw_embed_precision precision;
    uint32_t num_threads;
    uint32_t layers_used;     /* manifest layers in the graph (after dropping unneeded ones) */
    uint32_t layers_total;
    uint32_t xnn_nodes;       /* XNNPACK nodes defined, including converts */
    size_t weight_bytes;      /* bytes of weights/biases/scales the model holds a copy of */
} fw_embed_info;
void fw_embed_get_info(const fw_embed_model *model, fw_embed_info *info);

#ifdef __cplusplus
}
#endif

#endif
