// Synthetic field photos (see fw_render_fluke_scene): the demo, the tests and the benchmarks
// need realistic-looking, reproducible photos, and the project may not ship third-party ones.
#include "FlukeVisionShim.h"
#include "ImageHandle.hpp"
#include "Guarded.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

using fwshim::set_error;

namespace {

// Outline of a fluke seen from behind as it rises (x in -1..1, y in 0..1 downwards): the
// serrated trailing edge on top with the central notch cut down into it, tips swept up, and the
// leading edges running down to the peduncle.
std::vector<cv::Point2d> fluke_outline(std::mt19937_64 &individual) {
    std::uniform_real_distribution<double> serration(-0.025, 0.025);
    std::vector<cv::Point2d> pts;
    const int n = 48;
    for (int i = 0; i <= n; ++i) {
        const double x = -1.0 + 2.0 * i / n;
        const double ax = std::abs(x);
        double y = 0.30 - 0.22 * std::pow(ax, 1.6);
        if (ax < 0.07) y += 0.12 * (1.0 - ax / 0.07);
        y += serration(individual) * (1.0 - ax);
        pts.emplace_back(x, y);
    }
    const double right[][2] = {{0.75, 0.42}, {0.35, 0.56}, {0.12, 0.66}, {0.10, 1.00}};
    for (const auto &p : right) pts.emplace_back(p[0], p[1]);
    for (int k = 3; k >= 0; --k) pts.emplace_back(-right[k][0], right[k][1]);
    return pts;
}

} // namespace

extern "C" int fw_render_fluke_scene(int width, int height, uint64_t individual_seed, uint64_t scene_seed,
                                     double noise, int fluke_box[4], fw_image **out, fw_error *error) {
    try {
        *out = nullptr;
        if (width < 64 || height < 64) { set_error(error, "scene must be at least 64x64"); return -1; }
        std::mt19937_64 scene(scene_seed);
        std::mt19937_64 individual(individual_seed);
        std::uniform_real_distribution<double> u(0.0, 1.0);

        cv::Mat img(height, width, CV_8UC3);
        const int horizon = static_cast<int>(height * (0.25 + 0.15 * u(scene)));
        const double light = 0.8 + 0.4 * u(scene);
        for (int y = 0; y < height; ++y) {
            cv::Vec3b colour;
            if (y < horizon) {
                const double t = static_cast<double>(y) / std::max(1, horizon);
                colour = cv::Vec3b(cv::saturate_cast<uchar>((230 - 30 * t) * light),
                                   cv::saturate_cast<uchar>((215 - 25 * t) * light),
                                   cv::saturate_cast<uchar>((200 - 40 * t) * light));
            } else {
                const double t = static_cast<double>(y - horizon) / std::max(1, height - horizon);
                colour = cv::Vec3b(cv::saturate_cast<uchar>((120 - 40 * t) * light),
                                   cv::saturate_cast<uchar>((90 - 35 * t) * light),
                                   cv::saturate_cast<uchar>((50 - 25 * t) * light));
            }
            img.row(y).setTo(colour);
        }
        // Waves: short bright and dark strokes on the sea.
        const int waves = 60 + static_cast<int>(u(scene) * 60);
        for (int i = 0; i < waves; ++i) {
            const int y = horizon + static_cast<int>(u(scene) * (height - horizon));
            const int x = static_cast<int>(u(scene) * width);
            const int len = static_cast<int>(width * (0.02 + 0.06 * u(scene)));
            const int shade = u(scene) < 0.5 ? 40 : -25;
            cv::line(img, {x, y}, {x + len, y + static_cast<int>(len * 0.05)},
                     cv::Scalar::all(0) + cv::Scalar(shade + 110, shade + 100, shade + 80),
                     std::max(1, height / 300), cv::LINE_AA);
        }

        // The fluke: placed by the scene, shaped and marked by the individual.
        const double span = width * (0.30 + 0.25 * u(scene));
        const double cx = width * (0.35 + 0.30 * u(scene));
        const double top = horizon + (height - horizon) * (0.05 + 0.15 * u(scene));
        const double fh = span * 0.45;
        std::vector<cv::Point> poly;
        for (const auto &p : fluke_outline(individual)) {
            poly.emplace_back(static_cast<int>(cx + p.x * span / 2), static_cast<int>(top + p.y * fh));
        }
        cv::Mat mask = cv::Mat::zeros(height, width, CV_8UC1);
        cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{poly}, cv::Scalar(255), cv::LINE_AA);
        cv::Rect box = cv::boundingRect(poly) & cv::Rect(0, 0, width, height);
        img.setTo(cv::Scalar(35, 32, 30), mask);
        // Individual white markings on the underside, clipped to the fluke.
        cv::Mat marks = cv::Mat::zeros(height, width, CV_8UC1);
        const int patches = 5 + static_cast<int>(u(individual) * 10);
        for (int i = 0; i < patches; ++i) {
            const cv::Point c(static_cast<int>(cx + (u(individual) * 1.8 - 0.9) * span / 2),
                              static_cast<int>(top + (0.15 + 0.5 * u(individual)) * fh));
            const cv::Size axes(std::max(2, static_cast<int>(span * (0.02 + 0.08 * u(individual)))),
                                std::max(2, static_cast<int>(fh * (0.02 + 0.08 * u(individual)))));
            cv::ellipse(marks, c, axes, u(individual) * 180, 0, 360, cv::Scalar(255), cv::FILLED, cv::LINE_AA);
        }
        cv::bitwise_and(marks, mask, marks);
        img.setTo(cv::Scalar(225, 228, 230), marks);

        if (noise > 0) {
            cv::Mat n(img.size(), CV_16SC3);
            cv::theRNG().state = scene_seed | 1;
            cv::randn(n, cv::Scalar::all(0), cv::Scalar::all(noise));
            cv::Mat wide;
            img.convertTo(wide, CV_16SC3);
            wide += n;
            wide.convertTo(img, CV_8UC3);
        }
        fluke_box[0] = box.x; fluke_box[1] = box.y; fluke_box[2] = box.width; fluke_box[3] = box.height;
        *out = new fw_image{img};
        return 0;
    } catch (const std::exception &e) {
        set_error(error, e.what());
    } catch (...) {
        set_error(error, "unknown C++ exception rendering a scene");
    }
    return -1;
}
