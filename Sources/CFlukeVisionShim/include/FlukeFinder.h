/*
 * FlukeFinder: where the fluke is in a field photo, and the crop of it the embedding reads.
 *
 * Same rules as FlukeVisionShim.h: every function is extern "C", catches every C++ exception
 * inside and reports failure as a non-zero return with a message in `fw_error`.
 *
 * The finder is classical image processing on OpenCV's core and imgproc (no model): it models
 * the sea and the sky (apart, when it finds a horizon), marks what differs strongly from them
 * (the fluke is much darker than the water, or white with a dark rim), keeps the most salient
 * group of regions of fluke-like shape (the two lobes often come apart) and grows its box a
 * little for pale tips. It works on a copy shrunk by a whole factor to a long side near 384
 * pixels, so a 12 MP photo decoded at 1/4 costs about 12 ms of one core. FlukeFinder.cpp lists
 * the steps; tools/crop-check measures them on real and synthetic photos.
 */
#ifndef FLUKE_FINDER_H
#define FLUKE_FINDER_H

#include "FlukeVisionShim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bits of fw_fluke_box.flags. */
#define FW_FLUKE_FOUND 1        /* a fluke-like region was found; the box is meaningful */
#define FW_FLUKE_TOUCHES_EDGE 2 /* the box reaches the photo's edge: the fluke may go on beyond it */

typedef struct fw_fluke_box {
    int x, y, width, height; /* in the pixels of the image given to fw_find_fluke */
    double confidence;       /* 0..1; 0 when nothing was found */
    int flags;               /* FW_FLUKE_* bits */
} fw_fluke_box;

/*
 * Looks for the fluke. Returns 0 with `out` filled whether or not one was found (check
 * FW_FLUKE_FOUND); non-zero only on an error (an empty image, an OpenCV failure).
 */
int fw_find_fluke(const fw_image *image, fw_fluke_box *out, fw_error *error);

/* How fw_crop_fit makes the box the shape of the output. */
#define FW_CROP_KEEP_ASPECT 0 /* widen the box with the photo around it to the output's aspect */
#define FW_CROP_STRETCH 1     /* resize the box to the output, distorting it by at most 2.5x */

/*
 * Cuts the box (x, y, w, h), grown by `margin` times its width on the left and on the right and
 * times its height at the top and at the bottom (margin clamped to 0..4), made the output's
 * shape as `fit` says, and resized to out_w × out_h. Under FW_CROP_STRETCH a box more elongated
 * than 2.5 times the output's aspect first takes in photo around it. Whatever falls outside the
 * photo is filled with the mean colour of the photo's pixels along the cut. A box with w or h <= 0
 * means the whole photo (no margin). Errors: output sizes outside 1..8192, an unknown fit, a box
 * more than 64 times the photo's size.
 */
int fw_crop_fit(const fw_image *image, int x, int y, int w, int h, float margin, int out_w, int out_h,
                int fit, fw_image **out, fw_error *error);

/*
 * fw_crop_fit with FW_CROP_STRETCH, the default: on synthetic scenes the fluke gets twice the
 * pixels it gets under FW_CROP_KEEP_ASPECT, and both keep it whole (tools/crop-check/README.md).
 */
int fw_crop(const fw_image *image, int x, int y, int w, int h, float margin, int out_w, int out_h,
            fw_image **out, fw_error *error);

#ifdef __cplusplus
}
#endif

#endif
