// SIFT + RootSIFT extraction and similarity-RANSAC verification (see FlukeLocalFeatures.h).
#include "FlukeLocalFeatures.h"
#include "Guarded.hpp"
#include "ImageHandle.hpp"

#include <opencv2/calib3d.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include <cblas.h>

#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace {

constexpr char kMagic[4] = {'F', 'W', 'L', 'F'};
constexpr uint16_t kFormatVersion = 1;
constexpr int kDescriptorBytes = 128;
// RootSIFT components lie in 0..1 with unit L2 norm; most are below 0.5, so ×512 keeps the
// resolution of the 8 bits where the values are.
constexpr float kDescriptorScale = 512.0f;
constexpr size_t kHeaderBytes = 8;

struct FeatureView {
    int count = 0;
    const uint8_t *points = nullptr;      // count × 2 f32
    const uint8_t *descriptors = nullptr; // count × 128 u8
};

FeatureView parse(const uint8_t *blob, size_t length) {
    if (blob == nullptr || length < kHeaderBytes || std::memcmp(blob, kMagic, 4) != 0) {
        throw std::runtime_error("not a FlukeWatch local-feature blob (bad magic)");
    }
    uint16_t version, count;
    std::memcpy(&version, blob + 4, 2);
    std::memcpy(&count, blob + 6, 2);
    if (version != kFormatVersion) throw std::runtime_error("unsupported local-feature blob version");
    const size_t needed = kHeaderBytes + size_t(count) * (8 + kDescriptorBytes);
    if (length != needed) throw std::runtime_error("local-feature blob has the wrong length for its keypoint count");
    FeatureView v;
    v.count = count;
    v.points = blob + kHeaderBytes;
    v.descriptors = v.points + size_t(count) * 8;
    return v;
}

/// The descriptors as floats, row-major, and each one's squared length.
struct FloatDescriptors {
    std::vector<float> rows;
    std::vector<float> squaredLengths;

    explicit FloatDescriptors(const FeatureView &v)
        : rows(size_t(v.count) * kDescriptorBytes), squaredLengths(size_t(v.count)) {
        for (int i = 0; i < v.count; ++i) {
            float sum = 0;
            for (int k = 0; k < kDescriptorBytes; ++k) {
                const float x = v.descriptors[size_t(i) * kDescriptorBytes + k];
                rows[size_t(i) * kDescriptorBytes + k] = x;
                sum += x * x;
            }
            squaredLengths[size_t(i)] = sum;
        }
    }
};

/// Lowe's ratio test: for each descriptor of `a`, its nearest descriptor of `b` when that is
/// clearly nearer than the second nearest. Returns (index in a, index in b) in a's order.
///
/// The same matches as OpenCV's brute-force matcher (`BFMatcher(NORM_L2).knnMatch(…, 2)`),
/// about four times sooner, because the descriptors are bytes: every product and every partial
/// sum of a dot product is an integer below 2^23 (128 × 255²), so float arithmetic in any order
/// is exact, and so are |a|² + |b|² and 2 a·b, below 2^24. One sgemm gives all the dot products
/// (in any blocking OpenBLAS likes), and |a|² + |b|² − 2 a·b is exactly the sum of squared
/// differences the matcher adds up pair by pair. The square root and the strict
/// comparisons below are the matcher's own (ties keep the earlier descriptor), so a verified
/// score never depends on which of the two computed it.
std::vector<std::pair<int, int>> ratioTestMatches(const FeatureView &a, const FeatureView &b, float ratio) {
    const FloatDescriptors fa(a), fb(b);
    const int na = a.count, nb = b.count;
    std::vector<float> distances(size_t(na) * size_t(nb));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, na, nb, kDescriptorBytes, 1.0f, fa.rows.data(),
                kDescriptorBytes, fb.rows.data(), kDescriptorBytes, 0.0f, distances.data(), nb);
    std::vector<std::pair<int, int>> matches;
    for (int i = 0; i < na; ++i) {
        float *row = distances.data() + size_t(i) * size_t(nb);
        const float lengthA = fa.squaredLengths[size_t(i)];
        for (int j = 0; j < nb; ++j) row[j] = std::sqrt(lengthA + fb.squaredLengths[size_t(j)] - 2.0f * row[j]);
        float nearest = FLT_MAX, second = FLT_MAX;
        int nearestIndex = -1, secondIndex = -1;
        for (int j = 0; j < nb; ++j) {
            const float d = row[j];
            if (!(d < second)) continue;
            if (nearest > d) {
                second = nearest;
                secondIndex = nearestIndex;
                nearest = d;
                nearestIndex = j;
            } else {
                second = d;
                secondIndex = j;
            }
        }
        if (secondIndex >= 0 && nearest < ratio * second) matches.emplace_back(i, nearestIndex);
    }
    return matches;
}

cv::Point2f pointAt(const FeatureView &v, int i) {
    float xy[2];
    std::memcpy(xy, v.points + size_t(i) * 8, 8);
    return {xy[0], xy[1]};
}

} // namespace

extern "C" int fw_extract_local_features(const fw_image *image, int max_keypoints, uint8_t **blob, size_t *length,
                                         fw_error *error) {
    return fwshim::guarded(error, "local-feature extraction", [&] {
        if (image == nullptr || blob == nullptr || length == nullptr) throw std::invalid_argument("null argument");
        if (max_keypoints < 1 || max_keypoints > 65535) throw std::invalid_argument("max_keypoints must be 1 to 65535");
        cv::Mat grey;
        if (image->mat.channels() == 3) {
            cv::cvtColor(image->mat, grey, cv::COLOR_BGR2GRAY);
        } else {
            grey = image->mat;
        }
        // A low contrast threshold: callosities and fluke marks are broad, soft-edged shapes.
        auto sift = cv::SIFT::create(max_keypoints, 3, 0.02, 10, 1.6);
        std::vector<cv::KeyPoint> keypoints;
        cv::Mat descriptors;
        sift->detectAndCompute(grey, cv::noArray(), keypoints, descriptors);
        const int n = std::min<int>(int(keypoints.size()), max_keypoints);
        const size_t total = kHeaderBytes + size_t(n) * (8 + kDescriptorBytes);
        auto *out = static_cast<uint8_t *>(std::malloc(total));
        if (out == nullptr) throw std::bad_alloc();
        std::memcpy(out, kMagic, 4);
        const uint16_t version = kFormatVersion, count = uint16_t(n);
        std::memcpy(out + 4, &version, 2);
        std::memcpy(out + 6, &count, 2);
        uint8_t *points = out + kHeaderBytes;
        uint8_t *desc = points + size_t(n) * 8;
        for (int i = 0; i < n; ++i) {
            const float xy[2] = {keypoints[i].pt.x, keypoints[i].pt.y};
            std::memcpy(points + size_t(i) * 8, xy, 8);
            // RootSIFT: L1-normalise, then the square root (Hellinger kernel as a dot product).
            const float *d = descriptors.ptr<float>(i);
            float l1 = 0;
            for (int k = 0; k < kDescriptorBytes; ++k) l1 += std::fabs(d[k]);
            l1 = std::max(l1, 1e-7f);
            for (int k = 0; k < kDescriptorBytes; ++k) {
                const float v = std::sqrt(std::fabs(d[k]) / l1) * kDescriptorScale;
                desc[size_t(i) * kDescriptorBytes + k] = uint8_t(std::min(255.0f, std::round(v)));
            }
        }
        *blob = out;
        *length = total;
        return 0;
    });
}

extern "C" int fw_count_geometric_inliers(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length,
                                          float ratio, float reprojection_px, int *inliers, fw_error *error) {
    return fwshim::guarded(error, "geometric verification", [&] {
        if (inliers == nullptr) throw std::invalid_argument("null argument");
        const FeatureView va = parse(a, a_length), vb = parse(b, b_length);
        *inliers = 0;
        // A similarity needs two matches; fewer than four leaves RANSAC nothing to reject.
        if (va.count < 4 || vb.count < 4) return 0;
        std::vector<cv::Point2f> from, to;
        for (const auto &[i, j] : ratioTestMatches(va, vb, ratio)) {
            from.push_back(pointAt(va, i));
            to.push_back(pointAt(vb, j));
        }
        if (from.size() < 4) return 0;
        // RANSAC draws from OpenCV's per-thread generator: reset it so a count never depends on
        // what the thread verified before.
        cv::theRNG().state = 0x5EED5EED;
        std::vector<uchar> mask;
        cv::Mat model = cv::estimateAffinePartial2D(from, to, mask, cv::RANSAC, reprojection_px, 2000, 0.99, 10);
        if (!model.empty()) *inliers = cv::countNonZero(mask);
        return 0;
    });
}

extern "C" int fw_ratio_test_matches(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length, float ratio,
                                     int32_t *pairs, size_t capacity, size_t *count, fw_error *error) {
    return fwshim::guarded(error, "ratio-test matching", [&] {
        if (pairs == nullptr || count == nullptr) throw std::invalid_argument("null argument");
        const FeatureView va = parse(a, a_length), vb = parse(b, b_length);
        *count = 0;
        if (va.count == 0 || vb.count == 0) return 0;
        const auto matches = ratioTestMatches(va, vb, ratio);
        if (matches.size() > capacity) throw std::invalid_argument("match buffer too small");
        for (size_t m = 0; m < matches.size(); ++m) {
            pairs[2 * m] = matches[m].first;
            pairs[2 * m + 1] = matches[m].second;
        }
        *count = matches.size();
        return 0;
    });
}
