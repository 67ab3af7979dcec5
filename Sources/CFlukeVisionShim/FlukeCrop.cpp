// The crop the embedding reads (FlukeFinder.h: fw_crop_fit, fw_crop): the finder's box with a
// margin, made the output's shape or at most kMaxStretch off it, the part outside the photo
// filled flat. Every entry point is wrapped in `guarded`, so no exception unwinds into Swift.
#include "FlukeFinder.h"
#include "ImageHandle.hpp"
#include "Guarded.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

using fwshim::guarded;
using fwshim::set_error;

namespace {

// A stretched crop distorts the fluke by at most this factor; a box more elongated than that
// first takes in photo around it (a fluke seen edge-on, a panorama).
constexpr double kMaxStretch = 2.5;
// Margins beyond this (4 box widths on each side) are taken as this.
constexpr double kMaxMargin = 4.0;

// The region of the photo to cut: the box with its margin (the whole photo for an empty box),
// then made the output's shape (FW_CROP_KEEP_ASPECT) or at most kMaxStretch off it.
cv::Rect2d crop_region(const cv::Mat &m, int x, int y, int w, int h, float margin, int outW, int outH, int fit) {
    cv::Rect2d r;
    if (w <= 0 || h <= 0) {
        r = cv::Rect2d(0, 0, m.cols, m.rows);
    } else {
        const double mg = margin >= 0 ? std::min(static_cast<double>(margin), kMaxMargin) : 0.0; // NaN: 0
        r = cv::Rect2d(x - mg * w, y - mg * h, w * (1 + 2 * mg), h * (1 + 2 * mg));
    }
    const double limit = fit == FW_CROP_KEEP_ASPECT ? 1.0 : kMaxStretch;
    const double want = static_cast<double>(outW) / outH;
    const double cx = r.x + r.width / 2, cy = r.y + r.height / 2;
    const double ratio = (r.width / r.height) / want;
    if (ratio > limit) r.height = r.width / (want * limit);
    if (ratio < 1.0 / limit) r.width = r.height * want / limit;
    r.x = cx - r.width / 2;
    r.y = cy - r.height / 2;
    return r;
}

} // namespace

extern "C" {

int fw_crop_fit(const fw_image *image, int x, int y, int w, int h, float margin, int out_w, int out_h, int fit,
                fw_image **out, fw_error *error) {
    return guarded(error, "fluke finder", [&]() -> int {
        if (out == nullptr) {
            set_error(error, "no output image");
            return -1;
        }
        *out = nullptr;
        if (image == nullptr || image->mat.empty()) {
            set_error(error, "empty image");
            return -1;
        }
        if (out_w <= 0 || out_h <= 0 || out_w > 8192 || out_h > 8192) {
            set_error(error, "crop size must be 1..8192 pixels on each side");
            return -1;
        }
        if (fit != FW_CROP_KEEP_ASPECT && fit != FW_CROP_STRETCH) {
            set_error(error, "unknown crop fit");
            return -1;
        }
        const cv::Mat &m = image->mat;
        const cv::Rect2d r = crop_region(m, x, y, w, h, margin, out_w, out_h, fit);
        if (!(r.width > 0 && r.height > 0) || r.width > 64.0 * m.cols + 64 || r.height > 64.0 * m.rows + 64) {
            set_error(error, "crop box is absurdly large for the image");
            return -1;
        }
        // Shrink only the part inside the photo to where it lands in the output, then fill the
        // rest: cheap even when most of the region lies outside the photo.
        const double sx = out_w / r.width, sy = out_h / r.height;
        const cv::Rect2d inside = r & cv::Rect2d(0, 0, m.cols, m.rows);
        const auto toOut = [](double v, double s, int limit) {
            return static_cast<int>(std::lround(std::clamp(v * s, 0.0, static_cast<double>(limit))));
        };
        int dx0 = toOut(inside.x - r.x, sx, out_w), dx1 = toOut(inside.x + inside.width - r.x, sx, out_w);
        int dy0 = toOut(inside.y - r.y, sy, out_h), dy1 = toOut(inside.y + inside.height - r.y, sy, out_h);
        cv::Rect source;
        if (inside.area() > 0) {
            const int sx0 = static_cast<int>(std::floor(inside.x)), sy0 = static_cast<int>(std::floor(inside.y));
            source = cv::Rect(sx0, sy0, static_cast<int>(std::ceil(inside.x + inside.width)) - sx0,
                              static_cast<int>(std::ceil(inside.y + inside.height)) - sy0) &
                     cv::Rect(0, 0, m.cols, m.rows);
        }
        if (source.area() == 0) {
            // The region misses the photo: the photo's nearest pixel, spread over the output.
            const int cx = static_cast<int>(std::clamp(r.x + r.width / 2, 0.0, m.cols - 1.0));
            const int cy = static_cast<int>(std::clamp(r.y + r.height / 2, 0.0, m.rows - 1.0));
            source = cv::Rect(cx, cy, 1, 1);
            dx0 = 0;
            dy0 = 0;
        }
        // At least one pixel of photo in the output.
        if (dx1 <= dx0) {
            dx1 = std::min(out_w, dx0 + 1);
            dx0 = dx1 - 1;
        }
        if (dy1 <= dy0) {
            dy1 = std::min(out_h, dy0 + 1);
            dy0 = dy1 - 1;
        }
        const cv::Size inner(dx1 - dx0, dy1 - dy0);
        cv::Mat part;
        const bool shrinking = source.width >= inner.width && source.height >= inner.height;
        cv::resize(m(source), part, inner, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
        cv::Mat resized;
        if (part.size() == cv::Size(out_w, out_h)) {
            resized = part;
        } else {
            // Outside the photo: the mean colour of the photo's pixels along the cut, flat.
            // Repeating the edge pixels would draw long stripes, a texture a convnet reads as content.
            cv::Mat ring(part.size(), CV_8U, cv::Scalar(255));
            if (part.cols > 2 && part.rows > 2) ring(cv::Rect(1, 1, part.cols - 2, part.rows - 2)).setTo(cv::Scalar(0));
            cv::copyMakeBorder(part, resized, dy0, out_h - dy1, dx0, out_w - dx1, cv::BORDER_CONSTANT,
                               cv::mean(part, ring));
        }
        *out = new fw_image{resized};
        return 0;
    });
}

int fw_crop(const fw_image *image, int x, int y, int w, int h, float margin, int out_w, int out_h, fw_image **out,
            fw_error *error) {
    return fw_crop_fit(image, x, y, w, h, margin, out_w, out_h, FW_CROP_STRETCH, out, error);
}

} // extern "C"
