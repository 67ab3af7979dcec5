// SIFT + RootSIFT extraction and similarity-RANSAC verification (see FlukeLocalFeatures.h).
#include "FlukeLocalFeatures.h"
#include "Guarded.hpp"
#include "ImageHandle.hpp"

#include <opencv2/calib3d.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

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

cv::Mat descriptorsAsFloat(const FeatureView &v) {
    cv::Mat bytes(v.count, kDescriptorBytes, CV_8U, const_cast<uint8_t *>(v.descriptors));
    cv::Mat out;
    bytes.convertTo(out, CV_32F);
    return out;
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
        const cv::Mat da = descriptorsAsFloat(va), db = descriptorsAsFloat(vb);
        cv::BFMatcher matcher(cv::NORM_L2);
        std::vector<std::vector<cv::DMatch>> knn;
        matcher.knnMatch(da, db, knn, 2);
        std::vector<cv::Point2f> from, to;
        for (const auto &pair : knn) {
            if (pair.size() == 2 && pair[0].distance < ratio * pair[1].distance) {
                from.push_back(pointAt(va, pair[0].queryIdx));
                to.push_back(pointAt(vb, pair[0].trainIdx));
            }
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
