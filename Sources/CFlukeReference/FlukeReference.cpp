// OpenCV DNN reference runner (see FlukeReference.h).
#include "FlukeReference.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

struct fw_ref_net {
    cv::dnn::Net net;
};

namespace {
void set_error(fw_ref_error *e, const char *m) {
    if (e) std::snprintf(e->message, sizeof(e->message), "%s", m);
}
template <typename Body> int guarded(fw_ref_error *e, Body body) {
    try {
        return body();
    } catch (const std::exception &ex) {
        set_error(e, ex.what());
    } catch (...) {
        set_error(e, "unknown C++ exception in the DNN reference");
    }
    return -1;
}
} // namespace

extern "C" {

int fw_ref_load(const char *onnx_path, fw_ref_net **out, fw_ref_error *error) {
    return guarded(error, [&]() -> int {
        *out = nullptr;
        cv::setNumThreads(1);
        cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx_path);
        if (net.empty()) { set_error(error, "OpenCV DNN read an empty network"); return -1; }
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        *out = new fw_ref_net{net};
        return 0;
    });
}

void fw_ref_free(fw_ref_net *net) { delete net; }

int fw_ref_decode_jpeg(const uint8_t *bytes, size_t length, int reduce, uint8_t *out, size_t capacity,
                       int *width, int *height, fw_ref_error *error) {
    return guarded(error, [&]() -> int {
        const int flag = reduce == 2 ? cv::IMREAD_REDUCED_COLOR_2
                         : reduce == 4 ? cv::IMREAD_REDUCED_COLOR_4
                         : reduce == 8 ? cv::IMREAD_REDUCED_COLOR_8
                                       : cv::IMREAD_COLOR;
        cv::Mat buffer(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t *>(bytes));
        cv::Mat decoded = cv::imdecode(buffer, flag | cv::IMREAD_IGNORE_ORIENTATION);
        if (decoded.empty()) { set_error(error, "OpenCV could not decode the JPEG"); return -1; }
        *width = decoded.cols;
        *height = decoded.rows;
        const size_t size = decoded.total() * decoded.elemSize();
        if (size > capacity || !decoded.isContinuous()) { set_error(error, "output buffer too small"); return -1; }
        std::memcpy(out, decoded.data, size);
        return 0;
    });
}

int fw_ref_ratio_test_matches(const uint8_t *a, int a_count, const uint8_t *b, int b_count, float ratio,
                              int32_t *pairs, size_t capacity, size_t *count, fw_ref_error *error) {
    return guarded(error, [&]() -> int {
        *count = 0;
        if (a_count == 0 || b_count == 0) return 0;
        cv::Mat da, db;
        cv::Mat(a_count, 128, CV_8U, const_cast<uint8_t *>(a)).convertTo(da, CV_32F);
        cv::Mat(b_count, 128, CV_8U, const_cast<uint8_t *>(b)).convertTo(db, CV_32F);
        std::vector<std::vector<cv::DMatch>> knn;
        cv::BFMatcher(cv::NORM_L2).knnMatch(da, db, knn, 2);
        for (const auto &pair : knn) {
            if (pair.size() == 2 && pair[0].distance < ratio * pair[1].distance) {
                if (*count == capacity) { set_error(error, "match buffer too small"); return -1; }
                pairs[2 * *count] = pair[0].queryIdx;
                pairs[2 * *count + 1] = pair[0].trainIdx;
                *count += 1;
            }
        }
        return 0;
    });
}

int fw_ref_run(fw_ref_net *net, const uint8_t *rgb, int width, int height, const char *output_name,
               float *out, size_t capacity, size_t *written, fw_ref_error *error) {
    return guarded(error, [&]() -> int {
        *written = 0;
        cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb));
        // NCHW blob: (pixel - 127) / 128, channels already RGB.
        cv::Mat blob = cv::dnn::blobFromImage(image, 1.0 / 128.0, cv::Size(width, height), cv::Scalar(127, 127, 127),
                                              false, false, CV_32F);
        net->net.setInput(blob, "input");
        cv::Mat result = net->net.forward(output_name);
        const int dims = result.dims;
        const float *data = result.ptr<float>();
        if (dims == 4) {
            const int c = result.size[1], h = result.size[2], w = result.size[3];
            const size_t total = static_cast<size_t>(c) * h * w;
            if (capacity < total) { set_error(error, "output buffer too small"); return -1; }
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x)
                    for (int k = 0; k < c; ++k)
                        out[(static_cast<size_t>(y) * w + x) * c + k] = data[(static_cast<size_t>(k) * h + y) * w + x];
            *written = total;
        } else {
            const size_t total = result.total();
            if (capacity < total) { set_error(error, "output buffer too small"); return -1; }
            std::copy(data, data + total, out);
            *written = total;
        }
        return 0;
    });
}

} // extern "C"
