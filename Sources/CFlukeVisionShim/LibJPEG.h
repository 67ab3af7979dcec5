// JPEG decoding (at reduced size) and encoding straight through libjpeg(-turbo). Internal to the
// shim (not part of its public C API). Why not OpenCV's imgcodecs: see LibJPEG.cpp.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Gives the decoder somewhere to write `height` rows of `width` BGR pixels (3 bytes each,
/// rows `width * 3` bytes apart); returns NULL when it cannot.
typedef uint8_t *(*fw_jpeg_allocate)(void *context, int width, int height);

enum {
    FW_JPEG_OK = 0,
    /// libjpeg refused the data; `message` says why.
    FW_JPEG_FAILED = -1,
    /// A JPEG this path does not convert (CMYK/YCCK): decode it another way.
    FW_JPEG_UNSUPPORTED = -2,
};

/// Decodes `bytes` at 1/`denominator` of full size (1, 2, 4 or 8: libjpeg's DCT scaling, so the
/// skipped detail is never computed) into BGR pixels.
int fw_jpeg_decode_scaled(const uint8_t *bytes, size_t length, int denominator, fw_jpeg_allocate allocate,
                          void *context, char *message, size_t message_capacity);

/// Encodes BGR pixels (rows `stride` bytes apart) as a baseline JPEG of the given quality
/// (1-100). On success `*out` is a malloc'ed buffer of `*out_length` bytes for the caller to free.
int fw_jpeg_encode(const uint8_t *bgr, int width, int height, size_t stride, int quality, uint8_t **out,
                   size_t *out_length, char *message, size_t message_capacity);

#ifdef __cplusplus
}
#endif
