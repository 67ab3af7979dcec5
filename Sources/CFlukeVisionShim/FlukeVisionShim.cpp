// The C++ side of FlukeVisionShim.h. Each entry point wraps its body in `guarded`, which turns
// any exception into an error message: nothing thrown here may unwind into Swift.
#include "FlukeVisionShim.h"
#include "ImageHandle.hpp"
#include "Guarded.hpp"
#include "WholeFactorShrink.hpp"
#include "LibJPEG.h"
#include "LazyImgcodecs.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp> // flag constants only: the library is opened lazily
#include <opencv2/imgproc.hpp>

#include <malloc.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>


using fwshim::guarded;
using fwshim::set_error;

namespace {

// Turns stored pixels upright for EXIF orientations 2..8.
void apply_orientation(cv::Mat &m, int orientation) {
    switch (orientation) {
    case 2: cv::flip(m, m, 1); break;
    case 3: cv::rotate(m, m, cv::ROTATE_180); break;
    case 4: cv::flip(m, m, 0); break;
    case 5: cv::transpose(m, m); break;
    case 6: cv::rotate(m, m, cv::ROTATE_90_CLOCKWISE); break;
    case 7: cv::transpose(m, m); cv::rotate(m, m, cv::ROTATE_180); break;
    case 8: cv::rotate(m, m, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: break;
    }
}

int reduced_flag(int reduce) {
    switch (reduce) {
    case 2: return cv::IMREAD_REDUCED_COLOR_2;
    case 4: return cv::IMREAD_REDUCED_COLOR_4;
    case 8: return cv::IMREAD_REDUCED_COLOR_8;
    default: return cv::IMREAD_COLOR;
    }
}

// The long side (roughly: a whole-factor shrink) photos are measured at for sharpness and exposure.
constexpr int kQualityLongSide = 512;

bool is_jpeg(const uint8_t *b, size_t n) { return n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; }

// Where fw_jpeg_decode_scaled writes: a continuous BGR cv::Mat owned by the caller.
uint8_t *allocate_bgr(void *context, int width, int height) {
    cv::Mat &m = *static_cast<cv::Mat *>(context);
    try {
        m.create(height, width, CV_8UC3);
    } catch (...) {
        return nullptr;
    }
    return m.isContinuous() ? m.data : nullptr;
}

// A JPEG through libjpeg directly (see LibJPEG.cpp for why); CMYK ones through OpenCV.
// Returns an empty Mat with `why` set when the data cannot be decoded.
cv::Mat decode_jpeg(const uint8_t *bytes, size_t length, int reduce, std::string &why) {
    cv::Mat decoded;
    char message[256] = "";
    switch (fw_jpeg_decode_scaled(bytes, length, reduce, allocate_bgr, &decoded, message, sizeof message)) {
    case FW_JPEG_OK: return decoded;
    case FW_JPEG_UNSUPPORTED: {
        cv::Mat buffer(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t *>(bytes));
        return fwshim::lazy_imdecode(buffer, reduced_flag(reduce) | cv::IMREAD_IGNORE_ORIENTATION, why);
    }
    default:
        why = message;
        return cv::Mat();
    }
}

} // namespace

extern "C" {

void fw_release_free_memory(void) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

void fw_tune_malloc(int mmap_threshold, int arena_max) {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_ARENA_MAX, arena_max);
#else
    (void)mmap_threshold;
    (void)arena_max;
#endif
}

void fw_set_threads(int count) {
    try { cv::setNumThreads(count); } catch (...) {}
}

int fw_decode(const uint8_t *bytes, size_t length, int reduce, int orientation, fw_image **out, fw_error *error) {
    return guarded(error, "vision shim", [&]() -> int {
        *out = nullptr;
        if (bytes == nullptr || length == 0) { set_error(error, "no bytes to decode"); return -1; }
        const bool jpeg = is_jpeg(bytes, length);
        cv::Mat decoded;
        if (jpeg) {
            std::string why;
            decoded = decode_jpeg(bytes, length, reduce, why);
            if (decoded.empty()) { set_error(error, why.c_str()); return -1; }
        } else {
            cv::Mat buffer(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t *>(bytes));
            std::string why;
            decoded = fwshim::lazy_imdecode(buffer, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION, why);
            if (decoded.empty()) { set_error(error, why.c_str()); return -1; }
        }
        if (decoded.type() != CV_8UC3) {
            cv::Mat converted;
            if (decoded.channels() == 1) cv::cvtColor(decoded, converted, cv::COLOR_GRAY2BGR);
            else if (decoded.channels() == 4) cv::cvtColor(decoded, converted, cv::COLOR_BGRA2BGR);
            else decoded.convertTo(converted, CV_8UC3);
            decoded = converted;
        }
        if (!jpeg && reduce > 1) {
            cv::Mat small;
            cv::resize(decoded, small, cv::Size(), 1.0 / reduce, 1.0 / reduce, cv::INTER_AREA);
            decoded = small;
        }
        apply_orientation(decoded, orientation);
        *out = new fw_image{decoded};
        return 0;
    });
}

void fw_image_free(fw_image *image) { delete image; }

void fw_image_size(const fw_image *image, int *width, int *height) {
    *width = image ? image->mat.cols : 0;
    *height = image ? image->mat.rows : 0;
}

int fw_measure_quality(const fw_image *image, fw_quality *out, fw_error *error) {
    return guarded(error, "vision shim", [&]() -> int {
        const cv::Mat &src = image->mat;
        if (src.empty()) { set_error(error, "empty image"); return -1; }
        // Sharpness on a common scale, so photos decoded at different reductions compare: grey
        // first (a third of the data), then shrunk by the whole factor that brings the long side
        // nearest to 512 (OpenCV's fast area path; an exact 512 would cost more than all the
        // measures together, 2.7 ms instead of 0.9 on a 1000×750 decode).
        cv::Mat grey;
        cv::cvtColor(src, grey, cv::COLOR_BGR2GRAY);
        const int longSide = std::max(grey.cols, grey.rows);
        grey = shrink_by_whole_factor(grey, (longSide + kQualityLongSide / 2) / kQualityLongSide);
        cv::Mat lap;
        cv::Laplacian(grey, lap, CV_32F, 3);
        cv::Scalar mean, stddev;
        cv::meanStdDev(lap, mean, stddev);
        out->sharpness = stddev[0] * stddev[0];
        out->mean_luminance = cv::mean(grey)[0];
        const double total = static_cast<double>(grey.total());
        out->clipped_highlights = cv::countNonZero(grey >= 250) / total;
        out->clipped_shadows = cv::countNonZero(grey <= 5) / total;
        return 0;
    });
}

int fw_encode_jpeg(const fw_image *image, int max_side, int quality, uint8_t **out, size_t *out_length,
                   fw_error *error) {
    return guarded(error, "vision shim", [&]() -> int {
        *out = nullptr;
        *out_length = 0;
        cv::Mat m = image->mat;
        const int longSide = std::max(m.cols, m.rows);
        if (max_side > 0 && longSide > max_side) {
            // Most of the way by a whole factor on the fast area path, the rest (under 2×)
            // bilinearly: OpenCV's general area resize costs more than the encoding.
            m = shrink_by_whole_factor(m, longSide / max_side);
            const double s = static_cast<double>(max_side) / std::max(m.cols, m.rows);
            if (s < 1.0) {
                cv::Mat small;
                cv::resize(m, small, cv::Size(std::max(1, static_cast<int>(std::lround(m.cols * s))),
                                              std::max(1, static_cast<int>(std::lround(m.rows * s)))),
                           0, 0, cv::INTER_LINEAR);
                m = small;
            }
        }
        if (m.type() != CV_8UC3) {
            set_error(error, "only 8-bit BGR images are encoded as JPEG");
            return -1;
        }
        char message[256] = "";
        if (fw_jpeg_encode(m.data, m.cols, m.rows, m.step[0], quality, out, out_length, message, sizeof message) != 0) {
            set_error(error, message);
            return -1;
        }
        return 0;
    });
}

int fw_encode_lossless(const fw_image *image, int format, uint8_t **out, size_t *out_length, fw_error *error) {
    return guarded(error, "vision shim", [&]() -> int {
        *out = nullptr;
        *out_length = 0;
        std::vector<uchar> encoded;
        const char *ext = format == 2 ? ".tif" : ".png";
        std::string why;
        if (!fwshim::lazy_imencode(ext, image->mat, encoded, {}, why)) {
            set_error(error, why.c_str());
            return -1;
        }
        *out = static_cast<uint8_t *>(std::malloc(encoded.size()));
        if (*out == nullptr) { set_error(error, "out of memory encoding an image"); return -1; }
        std::memcpy(*out, encoded.data(), encoded.size());
        *out_length = encoded.size();
        return 0;
    });
}

void fw_buffer_free(uint8_t *buffer) { std::free(buffer); }

int fw_image_from_bgr(const uint8_t *pixels, int width, int height, fw_image **out, fw_error *error) {
    return guarded(error, "vision shim", [&]() -> int {
        cv::Mat wrapped(height, width, CV_8UC3, const_cast<uint8_t *>(pixels));
        *out = new fw_image{wrapped.clone()};
        return 0;
    });
}

int fw_image_resized_rgb(const fw_image *image, int width, int height, uint8_t *pixels, size_t capacity,
                         fw_error *error) {
    return guarded(error, "vision shim", [&]() -> int {
        const size_t needed = static_cast<size_t>(width) * height * 3;
        if (width <= 0 || height <= 0 || capacity < needed) { set_error(error, "pixel buffer too small"); return -1; }
        const cv::Mat &m = image->mat;
        cv::Mat sized;
        const bool shrinking = m.cols > width || m.rows > height;
        cv::resize(m, sized, cv::Size(width, height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
        cv::Mat dest(height, width, CV_8UC3, pixels);
        cv::cvtColor(sized, dest, cv::COLOR_BGR2RGB);
        return 0;
    });
}

int fw_rgb_view(const uint8_t *rgb, int size, double degrees, double zoom, uint8_t *out, fw_error *error) {
    return guarded(error, "vision shim", [&]() -> int {
        if (size <= 0 || !(zoom > 0)) { set_error(error, "bad view size or zoom"); return -1; }
        const cv::Mat source(size, size, CV_8UC3, const_cast<uint8_t *>(rgb));
        cv::Mat dest(size, size, CV_8UC3, out);
        const double centre = (size - 1) / 2.0;
        const cv::Mat warp = cv::getRotationMatrix2D(cv::Point2f(centre, centre), degrees, zoom);
        cv::warpAffine(source, dest, warp, dest.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        return 0;
    });
}

int fw_image_copy_bgr(const fw_image *image, uint8_t *pixels, size_t capacity, fw_error *error) {
    return guarded(error, "vision shim", [&]() -> int {
        const cv::Mat &m = image->mat;
        const size_t needed = static_cast<size_t>(m.cols) * m.rows * 3;
        if (capacity < needed) { set_error(error, "pixel buffer too small"); return -1; }
        cv::Mat dest(m.rows, m.cols, CV_8UC3, pixels);
        m.copyTo(dest);
        return 0;
    });
}

} // extern "C"
