/*
 * FlukeVisionShim: the only door between Swift and OpenCV's C++.
 *
 * Every function is extern "C", catches every C++ exception inside, and reports failure as a
 * non-zero return with a human-readable message in `fw_error`. A C++ exception must never unwind
 * into Swift: it would abort the daemon.
 */
#ifndef FLUKE_VISION_SHIM_H
#define FLUKE_VISION_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fw_error {
    char message[512];
} fw_error;

/* An owned 8-bit BGR image (a cv::Mat inside). */
typedef struct fw_image fw_image;

/* Returns freed heap memory to the system (glibc malloc_trim), after a large transient load. */
void fw_release_free_memory(void);

/* glibc malloc settings for a long-running daemon (see FlukeVision/ProcessMemory.swift): a
 * fixed mmap threshold (bytes) and a cap on arenas. No effect on other C libraries. */
void fw_tune_malloc(int mmap_threshold, int arena_max);

/* Sets OpenCV's internal thread count (1 on a board: one photo per worker thread). */
void fw_set_threads(int count);

/*
 * Decodes an encoded image held in memory. `reduce` is 1, 2, 4 or 8: JPEGs are decoded at that
 * fraction through libjpeg's DCT scaling (much faster), other formats are resized after decoding.
 * `orientation` is the EXIF orientation (1..8) to apply; the decoder's own EXIF handling is off so
 * orientation is applied exactly once.
 */
int fw_decode(const uint8_t *bytes, size_t length, int reduce, int orientation,
              fw_image **out, fw_error *error);

void fw_image_free(fw_image *image);
void fw_image_size(const fw_image *image, int *width, int *height);

typedef struct fw_quality {
    double sharpness;          /* variance of the Laplacian on grey, long side near 512 px */
    double mean_luminance;     /* 0..255 */
    double clipped_highlights; /* fraction >= 250 */
    double clipped_shadows;    /* fraction <= 5 */
} fw_quality;

int fw_measure_quality(const fw_image *image, fw_quality *out, fw_error *error);

/*
 * Encodes `image` as JPEG, first shrinking it (area interpolation) so that its long side is at
 * most `max_side` pixels (0: keep the size). The buffer is freed with fw_buffer_free.
 */
int fw_encode_jpeg(const fw_image *image, int max_side, int quality,
                   uint8_t **out, size_t *out_length, fw_error *error);

/* Encodes as PNG (`format` 1) or TIFF (`format` 2), for fixtures of those formats. */
int fw_encode_lossless(const fw_image *image, int format, uint8_t **out, size_t *out_length, fw_error *error);

void fw_buffer_free(uint8_t *buffer);

/* Wraps a copy of packed 8-bit BGR pixels. */
int fw_image_from_bgr(const uint8_t *pixels, int width, int height, fw_image **out, fw_error *error);

/*
 * Resizes to width x height (area when shrinking, bilinear when growing) and copies packed
 * RGB pixels out (width*height*3 bytes): the embedding network's input.
 */
int fw_image_resized_rgb(const fw_image *image, int width, int height, uint8_t *pixels, size_t capacity,
                         fw_error *error);

/*
 * Another look at a square of packed RGB pixels (size x size x 3): rotated counter-clockwise by
 * `degrees` and zoomed by `zoom` about its centre, bilinear, edges replicated, into `out` (same size).
 */
int fw_rgb_view(const uint8_t *rgb, int size, double degrees, double zoom, uint8_t *out, fw_error *error);

/* Copies packed BGR pixels out (buffer of width*height*3 bytes). */
int fw_image_copy_bgr(const fw_image *image, uint8_t *pixels, size_t capacity, fw_error *error);

/*
 * Renders a synthetic field photo for the demo, tests and benchmarks: sky, horizon, sea with
 * waves, and a dark humpback-style fluke whose white markings are drawn from `individual_seed`
 * (the same seed gives the same animal) and whose placement, light and sea from `scene_seed`.
 * `fluke_box` receives the fluke's bounding box (x, y, width, height) in the rendered image.
 * `noise` is the standard deviation of sensor noise (0 for clean fixtures; ~10 for large files).
 */
int fw_render_fluke_scene(int width, int height, uint64_t individual_seed, uint64_t scene_seed,
                          double noise, int fluke_box[4], fw_image **out, fw_error *error);

#ifdef __cplusplus
}
#endif

#endif
