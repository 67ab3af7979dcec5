/*
 * FlukeReference: OpenCV as the independent reference for the station's own fast paths: OpenCV
 * DNN (fp32, from the standard ONNX file) for the XNNPACK int8 runtime, imdecode for the direct
 * libjpeg decode, BFMatcher for verification's matches. Tests and benchmarks only: the daemon does not link it
 * (OpenCV's dnn module and its dependencies would cost the board memory for nothing).
 * Same rules as FlukeVisionShim: extern "C", every C++ exception caught.
 */
#ifndef FLUKE_REFERENCE_H
#define FLUKE_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fw_ref_error {
    char message[512];
} fw_ref_error;

typedef struct fw_ref_net fw_ref_net;

/* Loads an ONNX file with cv::dnn (CPU, one thread). */
int fw_ref_load(const char *onnx_path, fw_ref_net **out, fw_ref_error *error);
void fw_ref_free(fw_ref_net *net);

/*
 * Runs packed RGB8 pixels (224 x 224 x 3) with the model's preprocessing ((p - 127) / 128) and
 * copies the named output, converted to NHWC, into `out` (capacity floats). Returns the number of
 * floats written in `*written`.
 */
int fw_ref_run(fw_ref_net *net, const uint8_t *rgb, int width, int height, const char *output_name,
               float *out, size_t capacity, size_t *written, fw_ref_error *error);

/*
 * OpenCV's own reduced JPEG decode (cv::imdecode with IMREAD_REDUCED_COLOR_n), as the reference
 * for the shim's direct libjpeg path: BGR8 pixels, row-major, into `out` (capacity bytes).
 */
int fw_ref_decode_jpeg(const uint8_t *bytes, size_t length, int reduce, uint8_t *out, size_t capacity,
                       int *width, int *height, fw_ref_error *error);

/*
 * OpenCV's brute-force matcher (BFMatcher, NORM_L2, two nearest) with Lowe's ratio test, as the
 * reference for the shim's exact sgemm matcher: `a` and `b` are `a_count` and `b_count` byte
 * descriptors of 128 bytes each; writes (index in a, index in b) pairs as in
 * fw_ratio_test_matches.
 */
int fw_ref_ratio_test_matches(const uint8_t *a, int a_count, const uint8_t *b, int b_count, float ratio,
                              int32_t *pairs, size_t capacity, size_t *count, fw_ref_error *error);

#ifdef __cplusplus
}
#endif

#endif
