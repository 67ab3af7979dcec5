// Loads the FlukeWatch fp32 ONNX with OpenCV's DNN module (the board runs OpenCV 4.6) and
// compares every graph output with the reference outputs that build_model.py computed with
// onnxruntime for the same input.
//
//   check_onnx MODEL.onnx REF_DIR [TOLERANCE]
//
// REF_DIR holds ref_input.f32 (1x3x224x224 float32, NCHW) and ref_<output>.f32 for each output
// (written by build_model.py into tools/model/.cache/). Exit status 0 only if every output is
// found and max |opencv - onnxruntime| <= TOLERANCE * max(1, peak |value|).
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

static std::vector<float> readFloats(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return {};
    f.seekg(0, std::ios::end);
    std::streamsize n = f.tellg();
    f.seekg(0, std::ios::beg);
    std::vector<float> v(static_cast<size_t>(n) / sizeof(float));
    f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    return v;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s MODEL.onnx REF_DIR [TOLERANCE]\n", argv[0]);
        return 2;
    }
    const std::string model = argv[1], refDir = argv[2];
    const double tol = argc > 3 ? std::atof(argv[3]) : 1e-4;
    const std::vector<std::string> outputs = {"pooled", "s8_c40", "s16_c80", "s16_c112",
                                              "s32_c192", "s32_c320", "head_1280"};
    std::printf("OpenCV %s\n", CV_VERSION);
    cv::setNumThreads(1);

    cv::dnn::Net net;
    try {
        net = cv::dnn::readNetFromONNX(model);
    } catch (const cv::Exception& e) {
        std::printf("FAIL: readNetFromONNX: %s\n", e.what());
        return 1;
    }
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);

    std::vector<float> input = readFloats(refDir + "/ref_input.f32");
    if (input.size() != 3u * 224 * 224) {
        std::printf("FAIL: %s/ref_input.f32 missing or wrong size (run build_model.py first)\n", refDir.c_str());
        return 1;
    }
    const int shape[4] = {1, 3, 224, 224};
    cv::Mat blob(4, shape, CV_32F, input.data());
    net.setInput(blob, "input");

    std::vector<cv::Mat> outs;
    try {
        net.forward(outs, outputs);
    } catch (const cv::Exception& e) {
        std::printf("FAIL: forward: %s\n", e.what());
        return 1;
    }

    bool ok = true;
    for (size_t i = 0; i < outputs.size(); ++i) {
        std::vector<float> ref = readFloats(refDir + "/ref_" + outputs[i] + ".f32");
        cv::Mat o = outs[i].isContinuous() ? outs[i] : outs[i].clone();
        std::string shp;
        for (int d = 0; d < o.dims; ++d) shp += (d ? "x" : "") + std::to_string(o.size[d]);
        if (ref.size() != o.total()) {
            std::printf("FAIL %-10s shape %s: %zu values, reference has %zu\n", outputs[i].c_str(), shp.c_str(),
                        static_cast<size_t>(o.total()), ref.size());
            ok = false;
            continue;
        }
        const float* p = o.ptr<float>();
        double maxDiff = 0, peak = 0;
        for (size_t k = 0; k < ref.size(); ++k) {
            maxDiff = std::max(maxDiff, static_cast<double>(std::fabs(p[k] - ref[k])));
            peak = std::max(peak, static_cast<double>(std::fabs(ref[k])));
        }
        const bool pass = maxDiff <= tol * std::max(1.0, peak);
        ok = ok && pass;
        std::printf("%s %-10s shape %-14s max|opencv-onnxruntime| %.2e (peak %.1f)\n", pass ? "ok  " : "FAIL",
                    outputs[i].c_str(), shp.c_str(), maxDiff, peak);
    }
    std::printf(ok ? "OpenCV DNN agrees with onnxruntime\n" : "OpenCV DNN check FAILED\n");
    return ok ? 0 : 1;
}
