/*
 * Local features for geometric verification: SIFT keypoints with RootSIFT descriptors on the
 * crop the network sees, and a count of matches that agree on one similarity transform
 * (rotation, scale, shift) between two photos. Two photos of one whale share many such matches
 * on its marks; two whales share few, and only by chance.
 *
 * A feature set travels as a byte blob (stored in the station database beside the embedding):
 *   bytes 0-3 "FWLF"; u16 format version (1); u16 count n; n × (f32 x, f32 y);
 *   n × 128 u8 descriptor (RootSIFT × 512, clamped to 255). Little-endian.
 */
#ifndef FLUKE_LOCAL_FEATURES_H
#define FLUKE_LOCAL_FEATURES_H

#include "FlukeVisionShim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Extracts at most `max_keypoints` (the strongest) from the image's grey version. The blob is
 * freed with fw_buffer_free. An image without texture gives a valid blob with no keypoints. */
int fw_extract_local_features(const fw_image *image, int max_keypoints, uint8_t **blob, size_t *length,
                              fw_error *error);

/* Matches a's descriptors to b's (nearest of b, kept when closer than `ratio` × the second
 * nearest), then counts the matches consistent with one similarity transform within
 * `reprojection_px` (RANSAC with a fixed seed: the same inputs always give the same count).
 * A malformed blob is an error. */
int fw_count_geometric_inliers(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length,
                               float ratio, float reprojection_px, int *inliers, fw_error *error);

/* The ratio-test matches that fw_count_geometric_inliers hands to RANSAC, as (index in a,
 * index in b) pairs in a's order: 2 int32 per match into `pairs` (room for `capacity` matches,
 * at most a's keypoint count), the number of matches into *count. For tests and benchmarks,
 * which hold them against OpenCV's brute-force matcher (FlukeReference.h). */
int fw_ratio_test_matches(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length, float ratio,
                          int32_t *pairs, size_t capacity, size_t *count, fw_error *error);

#ifdef __cplusplus
}
#endif

#endif
