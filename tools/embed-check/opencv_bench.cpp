// Times OpenCV 4.6 DNN on the fp32 ONNX, one thread, 224x224, for comparison with XNNPACK:
// the full net (output `pooled`) and stopping at `s16_c80` (OpenCV only runs the layers up to the
// requested outputs).
//
//   opencv_bench MODEL.onnx [ITERATIONS]
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static void timeOutputs(cv::dnn::Net& net, const cv::Mat& blob, const std::vector<std::string>& outs,
                        const char* label, int iters) {
    std::vector<cv::Mat> result;
    for (int i = 0; i < 10; i++) {  // warm-up (first runs allocate)
        net.setInput(blob);
        net.forward(result, outs);
    }
    std::vector<double> ms;
    for (int i = 0; i < iters; i++) {
        auto t0 = std::chrono::steady_clock::now();
        net.setInput(blob);
        net.forward(result, outs);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("  %-36s median %6.2f ms   p10 %6.2f   min %6.2f\n", label, ms[ms.size() / 2],
                ms[ms.size() / 10], ms[0]);
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s MODEL.onnx [ITERATIONS]\n", argv[0]);
        return 2;
    }
    const int iters = argc > 2 ? std::atoi(argv[2]) : 100;
    cv::setNumThreads(1);
    cv::Mat blob({1, 3, 224, 224}, CV_32F);
    cv::RNG rng(1);
    rng.fill(blob, cv::RNG::UNIFORM, -1.0, 1.0);
    std::printf("OpenCV %s DNN, 1 thread, %d runs each\n", CV_VERSION, iters);
    // A fresh Net per configuration: a Net first run for `pooled` keeps running every layer.
    for (const char* out : {"pooled", "s16_c80"}) {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(argv[1]);
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        const std::string label = std::string("OpenCV DNN fp32, ") +
                                  (std::string(out) == "pooled" ? "full net (pooled)" : "stop at s16_c80");
        timeOutputs(net, blob, {out}, label.c_str(), iters);
    }
    return 0;
}
