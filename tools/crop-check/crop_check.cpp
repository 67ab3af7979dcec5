// crop-check: runs the fluke finder (Sources/CFlukeVisionShim/FlukeFinder.cpp) through its C API
// on real photos and on synthetic scenes with known fluke boxes, writes contact sheets to look at,
// and prints timings. Built and run by run.sh; see README.md for what it measured.
//
//   crop_check --images DIR [--sheet OUT.png] [--debug]      real photos: contact sheet + timings
//   crop_check --synthetic N [--seed S] [--sheet OUT.png]     known boxes: containment statistics
//   crop_check --timing                                       12 MP photo decoded at 1/4
//   crop_check --selftest                                     what FlukeFinderTests.swift checks
//   common: [--margin M] [--fit keep|stretch] [--size S]
#include "FlukeFinder.h"
#include "FlukeVisionShim.h"
#include "ImageHandle.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <time.h>
#include <vector>

namespace flukefinder {
void debug_maps(const cv::Mat &bgr, cv::Mat &saliency, cv::Mat &foreground);
}

namespace {

struct Options {
    std::string images;
    std::string sheet;
    int synthetic = 0;
    int seed = 0;
    bool timing = false;
    bool selftest = false;
    bool debug = false;
    float margin = 0.08f;
    int fit = FW_CROP_STRETCH;
    int size = 224;
};

double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

double cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void check(int rc, const fw_error &e, const char *what) {
    if (rc != 0) {
        std::fprintf(stderr, "%s failed: %s\n", what, e.message);
        std::exit(1);
    }
}

std::vector<uint8_t> read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// One cell of a contact sheet: the photo with the box (green: found, red: not found, yellow:
// the known fluke box of a synthetic scene), the crop beside it, and a caption.
cv::Mat cell(const cv::Mat &photo, const fw_fluke_box &box, const cv::Rect *truth, const cv::Mat &crop,
             const std::string &caption, const cv::Mat *saliency, const cv::Mat *foreground) {
    const int thumbW = 360, cropSide = 224, captionH = 16;
    const double s = static_cast<double>(thumbW) / photo.cols;
    const int thumbH = std::max(1, static_cast<int>(photo.rows * s));
    cv::Mat thumb;
    cv::resize(photo, thumb, cv::Size(thumbW, thumbH), 0, 0, cv::INTER_AREA);
    auto scaled = [&](const cv::Rect &r) {
        return cv::Rect(static_cast<int>(r.x * s), static_cast<int>(r.y * s),
                        std::max(1, static_cast<int>(r.width * s)), std::max(1, static_cast<int>(r.height * s)));
    };
    if (truth != nullptr) cv::rectangle(thumb, scaled(*truth), cv::Scalar(0, 230, 230), 1);
    if (box.flags & FW_FLUKE_FOUND) {
        cv::rectangle(thumb, scaled(cv::Rect(box.x, box.y, box.width, box.height)), cv::Scalar(0, 255, 0), 2);
    } else {
        cv::rectangle(thumb, cv::Rect(0, 0, thumbW, thumbH), cv::Scalar(0, 0, 255), 3);
    }
    std::vector<cv::Mat> parts{thumb};
    auto addMap = [&](const cv::Mat *m) {
        if (m == nullptr || m->empty()) return;
        cv::Mat t, c;
        cv::resize(*m, t, cv::Size(thumbW, thumbH), 0, 0, cv::INTER_NEAREST);
        cv::cvtColor(t, c, cv::COLOR_GRAY2BGR);
        parts.push_back(c);
    };
    addMap(saliency);
    addMap(foreground);
    cv::Mat cropSmall;
    cv::resize(crop, cropSmall, cv::Size(cropSide, cropSide * crop.rows / crop.cols), 0, 0, cv::INTER_AREA);
    const int h = std::max(thumbH, cropSmall.rows);
    int w = cropSmall.cols + 4;
    for (const auto &p : parts) w += p.cols + 4;
    cv::Mat out(h + captionH, w, CV_8UC3, cv::Scalar(30, 30, 30));
    int x = 0;
    for (const auto &p : parts) {
        p.copyTo(out(cv::Rect(x, captionH, p.cols, p.rows)));
        x += p.cols + 4;
    }
    cropSmall.copyTo(out(cv::Rect(x, captionH, cropSmall.cols, cropSmall.rows)));
    cv::putText(out, caption, cv::Point(2, 12), cv::FONT_HERSHEY_SIMPLEX, 0.38, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
    return out;
}

// Writes the cells in pages of `rows` rows (PATH-1.png, PATH-2.png, ...): small enough to look at.
void write_sheet(const std::vector<cv::Mat> &cells, const std::string &path, int columns, int rows) {
    if (cells.empty() || path.empty()) return;
    int cellW = 0, cellH = 0;
    for (const auto &c : cells) {
        cellW = std::max(cellW, c.cols);
        cellH = std::max(cellH, c.rows);
    }
    const size_t perPage = static_cast<size_t>(columns * rows);
    const std::string stem = path.size() > 4 && path.substr(path.size() - 4) == ".png" ? path.substr(0, path.size() - 4) : path;
    for (size_t first = 0, page = 1; first < cells.size(); first += perPage, ++page) {
        const size_t count = std::min(perPage, cells.size() - first);
        const int pageRows = static_cast<int>((count + columns - 1) / columns);
        cv::Mat sheet(pageRows * (cellH + 6), columns * (cellW + 6), CV_8UC3, cv::Scalar(0, 0, 0));
        for (size_t i = 0; i < count; ++i) {
            const int cx = static_cast<int>(i % columns) * (cellW + 6), cy = static_cast<int>(i / columns) * (cellH + 6);
            cells[first + i].copyTo(sheet(cv::Rect(cx, cy, cells[first + i].cols, cells[first + i].rows)));
        }
        const std::string file = stem + "-" + std::to_string(page) + ".png";
        cv::imwrite(file, sheet);
        std::printf("sheet: %s\n", file.c_str());
    }
}

// Median wall-clock and thread-CPU milliseconds of `repeats` calls. The CPU time is what the
// finder costs; the wall time also counts waiting for a core on a busy machine.
// The region fw_crop_fit cuts for a box (the same arithmetic as crop_region in FlukeCrop.cpp),
// to measure what each fit does: how much of the output is fluke, how much is filled in.
cv::Rect2d cut_region(const cv::Rect &box, const cv::Size &image, double margin, int fit, double maxStretch = 2.5) {
    cv::Rect2d r = box.area() > 0 ? cv::Rect2d(box.x - margin * box.width, box.y - margin * box.height,
                                               box.width * (1 + 2 * margin), box.height * (1 + 2 * margin))
                                  : cv::Rect2d(0, 0, image.width, image.height);
    const double limit = fit == FW_CROP_KEEP_ASPECT ? 1.0 : maxStretch;
    const double cx = r.x + r.width / 2, cy = r.y + r.height / 2, ratio = r.width / r.height;
    if (ratio > limit) r.height = r.width / limit;
    if (ratio < 1.0 / limit) r.width = r.height / limit;
    return cv::Rect2d(cx - r.width / 2, cy - r.height / 2, r.width, r.height);
}

bool holds(const cv::Rect2d &region, const cv::Rect &truth) {
    return region.x <= truth.x && region.y <= truth.y && region.x + region.width >= truth.br().x &&
           region.y + region.height >= truth.br().y;
}

fw_fluke_box find_timed(const fw_image *img, int repeats, double &ms, double &cpuMs) {
    fw_fluke_box box;
    fw_error e{};
    std::vector<double> times, cpu;
    for (int i = 0; i < repeats; ++i) {
        const double t0 = now_ms(), c0 = cpu_ms();
        check(fw_find_fluke(img, &box, &e), e, "fw_find_fluke");
        times.push_back(now_ms() - t0);
        cpu.push_back(cpu_ms() - c0);
    }
    ms = median(times);
    cpuMs = median(cpu);
    return box;
}

cv::Mat crop_of(const fw_image *img, const fw_fluke_box &box, const Options &o, double &ms) {
    fw_image *crop = nullptr;
    fw_error e{};
    const bool found = box.flags & FW_FLUKE_FOUND;
    const double t0 = now_ms();
    check(fw_crop_fit(img, found ? box.x : 0, found ? box.y : 0, found ? box.width : 0, found ? box.height : 0,
                      o.margin, o.size, o.size, o.fit, &crop, &e), e, "fw_crop_fit");
    ms = now_ms() - t0;
    cv::Mat m = crop->mat.clone();
    fw_image_free(crop);
    return m;
}

int run_real(const Options &o) {
    std::vector<std::string> files;
    for (const auto &entry : std::filesystem::directory_iterator(o.images)) {
        std::string ext = entry.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    std::vector<cv::Mat> cells, tiles;
    std::vector<double> findTimes, cropTimes, findCpu, fillShare[2];
    int index = 0;
    for (const auto &path : files) {
        const std::vector<uint8_t> bytes = read_file(path);
        fw_image *img = nullptr;
        fw_error e{};
        check(fw_decode(bytes.data(), bytes.size(), 1, 1, &img, &e), e, "fw_decode");
        double findMs = 0, findCpuMs = 0, cropMs = 0;
        const fw_fluke_box box = find_timed(img, 5, findMs, findCpuMs);
        const cv::Mat crop = crop_of(img, box, o, cropMs);
        findTimes.push_back(findMs);
        findCpu.push_back(findCpuMs);
        for (int fit = 0; fit < 2; ++fit) {
            const cv::Rect found = (box.flags & FW_FLUKE_FOUND) ? cv::Rect(box.x, box.y, box.width, box.height) : cv::Rect();
            const cv::Rect2d cut = cut_region(found, img->mat.size(), o.margin, fit);
            const cv::Rect2d inside = cut & cv::Rect2d(0, 0, img->mat.cols, img->mat.rows);
            fillShare[fit].push_back(1.0 - inside.area() / cut.area());
        }
        cropTimes.push_back(cropMs);
        const std::string name = std::filesystem::path(path).filename().string();
        char caption[256];
        std::snprintf(caption, sizeof(caption), "%d %s %s c=%.2f %.1fms", index, name.c_str(),
                      (box.flags & FW_FLUKE_FOUND) ? "" : "NONE", box.confidence, findMs);
        std::printf("%2d %-32s %dx%d box %d,%d %dx%d conf %.2f flags %d find %.2f ms (cpu %.2f) crop %.2f ms\n",
                    index, name.c_str(), img->mat.cols, img->mat.rows, box.x, box.y, box.width, box.height,
                    box.confidence, box.flags, findMs, findCpuMs, cropMs);
        cv::Mat sal, fg;
        if (o.debug) flukefinder::debug_maps(img->mat, sal, fg);
        cells.push_back(cell(img->mat, box, nullptr, crop, caption, o.debug ? &sal : nullptr, o.debug ? &fg : nullptr));
        cv::Mat tile(crop.rows + 14, crop.cols, CV_8UC3, cv::Scalar(30, 30, 30));
        crop.copyTo(tile(cv::Rect(0, 14, crop.cols, crop.rows)));
        cv::putText(tile, std::to_string(index) + " " + name.substr(0, 26), cv::Point(2, 11), cv::FONT_HERSHEY_SIMPLEX, 0.35,
                    cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
        tiles.push_back(tile);
        fw_image_free(img);
        ++index;
    }
    std::printf("photos %zu, find median %.2f ms wall, %.2f ms cpu (max %.2f cpu), crop median %.2f ms\n", files.size(),
                median(findTimes), median(findCpu), findCpu.empty() ? 0.0 : *std::max_element(findCpu.begin(), findCpu.end()),
                median(cropTimes));
    std::printf("filled in (outside the photo), median share of the crop: keep-aspect %.0f%%, stretch %.0f%%\n",
                100 * median(fillShare[0]), 100 * median(fillShare[1]));
    write_sheet(cells, o.sheet, o.debug ? 1 : 2, o.debug ? 6 : 4);
    if (!o.sheet.empty()) {
        // All the crops on one page: what the embedding will see.
        const std::string stem = o.sheet.substr(0, o.sheet.size() - (o.sheet.size() > 4 && o.sheet.substr(o.sheet.size() - 4) == ".png" ? 4 : 0));
        write_sheet(tiles, stem + "-crops.png", 7, 6);
    }
    return 0;
}

// Synthetic scenes of many sizes, lights and noise levels, each decoded from a JPEG as a photo
// would be. "box holds" allows 2% of the fluke's size (the renderer's anti-aliased outline);
// "crop holds" is strict: the cut region (box + margin, made square) contains the fluke box.
int run_synthetic(const Options &o) {
    const cv::Size sizes[] = {{640, 480}, {1024, 768}, {800, 600}, {1200, 600}, {500, 500}, {1600, 900}, {400, 300}};
    const double noises[] = {0, 4, 10};
    int found = 0, boxHolds = 0, cropHolds = 0, notTooBig = 0;
    int fitHolds[2] = {0, 0};
    std::vector<double> fitShare[2];
    std::vector<double> ratios, times;
    std::vector<cv::Mat> failures;
    for (int i = 0; i < o.synthetic; ++i) {
        const cv::Size size = sizes[i % 7];
        fw_image *scene = nullptr;
        fw_error e{};
        int fb[4];
        check(fw_render_fluke_scene(size.width, size.height, 1000 + (o.seed + i) * 7, 1 + o.seed + i, noises[i % 3], fb, &scene, &e), e,
              "render");
        uint8_t *jpeg = nullptr;
        size_t length = 0;
        check(fw_encode_jpeg(scene, 0, 90, &jpeg, &length, &e), e, "encode");
        fw_image *img = nullptr;
        check(fw_decode(jpeg, length, 1, 1, &img, &e), e, "decode");
        fw_buffer_free(jpeg);
        double ms = 0, cpuMs = 0, cropMs = 0;
        const fw_fluke_box box = find_timed(img, 1, ms, cpuMs);
        times.push_back(cpuMs);
        const cv::Rect truth(fb[0], fb[1], fb[2], fb[3]);
        const cv::Rect got(box.x, box.y, box.width, box.height);
        const int tx = truth.width / 50 + 1, ty = truth.height / 50 + 1;
        const bool isFound = box.flags & FW_FLUKE_FOUND;
        const bool holdsBox = isFound && got.x <= truth.x + tx && got.y <= truth.y + ty &&
                           got.br().x >= truth.br().x - tx && got.br().y >= truth.br().y - ty;
        // The region fw_crop cuts, from the same arithmetic (margin on each side, then square).
        cv::Rect2d region(got.x - o.margin * got.width, got.y - o.margin * got.height,
                          got.width * (1 + 2 * o.margin), got.height * (1 + 2 * o.margin));
        const bool cropOk = isFound && region.x <= truth.x && region.y <= truth.y &&
                            region.x + region.width >= truth.br().x && region.y + region.height >= truth.br().y;
        const double ratio = isFound ? static_cast<double>(got.area()) / truth.area() : 0;
        if (isFound) {
            for (int fit = 0; fit < 2; ++fit) {
                const cv::Rect2d cut = cut_region(got, size, o.margin, fit);
                fitHolds[fit] += holds(cut, truth);
                fitShare[fit].push_back(truth.area() / cut.area());
            }
        }
        found += isFound;
        boxHolds += holdsBox;
        cropHolds += cropOk;
        notTooBig += isFound && ratio <= 4.0;
        if (isFound) ratios.push_back(ratio);
        if ((!holdsBox || ratio > 4.0) && failures.size() < 24) {
            const cv::Mat crop = crop_of(img, box, o, cropMs);
            char caption[200];
            std::snprintf(caption, sizeof(caption), "#%d %dx%d n%.0f ratio %.2f c=%.2f", i, size.width, size.height,
                          noises[i % 3], ratio, box.confidence);
            cv::Mat sal, fg;
            if (o.debug) flukefinder::debug_maps(img->mat, sal, fg);
            failures.push_back(cell(img->mat, box, &truth, crop, caption, o.debug ? &sal : nullptr,
                                    o.debug ? &fg : nullptr));
        }
        fw_image_free(scene);
        fw_image_free(img);
    }
    const int n = o.synthetic;
    std::printf("synthetic scenes %d: found %d, box holds the fluke %d, crop (margin %.2f) holds it %d, "
                "box area <= 4x fluke %d; area ratio median %.2f; find median %.2f ms cpu\n",
                n, found, boxHolds, o.margin, cropHolds, notTooBig, median(ratios), median(times));
    std::printf("224x224 crops: keep-aspect holds the fluke %d, fluke box = %.0f%% of the output (median); "
                "stretch (at most %.1fx) holds it %d, fluke box = %.0f%% of the output\n",
                fitHolds[0], 100 * median(fitShare[0]), 2.5, fitHolds[1], 100 * median(fitShare[1]));
    write_sheet(failures, o.sheet, o.debug ? 1 : 3, o.debug ? 6 : 5);
    return 0;
}

// The checks Tests/FlukeVisionTests/FlukeFinderTests.swift makes, through the same C calls, so
// that they can be run where the Swift toolchain is busy: same scenes, same tolerances.
int run_selftest() {
    int failures = 0;
    auto expect = [&](bool ok, const std::string &what) {
        if (!ok) {
            ++failures;
            std::printf("FAIL %s\n", what.c_str());
        }
    };
    fw_error e{};
    // Synthetic scenes: the box holds the fluke (2% + 2 px slack) and is at most 4x its area.
    const int sizes[][2] = {{640, 480}, {800, 600}, {1024, 576}, {480, 480}, {1200, 800}};
    double worstRatio = 0, minConfidence = 1;
    int scenes = 0;
    for (int i = 0; i < 5; ++i) {
        for (int seed = 1; seed <= 8; ++seed) {
            fw_image *img = nullptr;
            int fb[4];
            check(fw_render_fluke_scene(sizes[i][0], sizes[i][1], seed * 31 + i, seed * 7 + i * 100, seed % 3 == 0 ? 8 : 0, fb,
                                        &img, &e), e, "render");
            fw_fluke_box box;
            check(fw_find_fluke(img, &box, &e), e, "find");
            const int sx = fb[2] / 50 + 2, sy = fb[3] / 50 + 2;
            const bool found = box.flags & FW_FLUKE_FOUND;
            const bool holds = found && box.x <= fb[0] + sx && box.y <= fb[1] + sy &&
                               box.x + box.width >= fb[0] + fb[2] - sx && box.y + box.height >= fb[1] + fb[3] - sy;
            const double ratio = static_cast<double>(box.width) * box.height / (static_cast<double>(fb[2]) * fb[3]);
            worstRatio = std::max(worstRatio, ratio);
            char what[160];
            std::snprintf(what, sizeof(what), "scene %dx%d seed %d: box %d,%d %dx%d fluke %d,%d %dx%d ratio %.2f", sizes[i][0],
                          sizes[i][1], seed, box.x, box.y, box.width, box.height, fb[0], fb[1], fb[2], fb[3], ratio);
            expect(holds && ratio <= 4.0 && box.confidence > 0.5 && box.confidence <= 1.0, what);
            minConfidence = std::min(minConfidence, box.confidence);
            fw_image_free(img);
            ++scenes;
        }
    }
    std::printf("selftest: %d synthetic scenes, worst area ratio %.2f, lowest confidence %.2f\n", scenes, worstRatio,
                minConfidence);
    // A 1600x1200 JPEG with noise decoded at 1/4, as the daemon does.
    {
        fw_image *scene = nullptr;
        int fb[4];
        check(fw_render_fluke_scene(1600, 1200, 3, 4, 10, fb, &scene, &e), e, "render");
        uint8_t *jpeg = nullptr;
        size_t length = 0;
        check(fw_encode_jpeg(scene, 0, 90, &jpeg, &length, &e), e, "encode");
        fw_image *img = nullptr;
        check(fw_decode(jpeg, length, 4, 1, &img, &e), e, "decode");
        fw_fluke_box box;
        check(fw_find_fluke(img, &box, &e), e, "find");
        const int qx = fb[0] / 4, qy = fb[1] / 4, qw = fb[2] / 4, qh = fb[3] / 4;
        const int sx = qw / 50 + 3, sy = qh / 50 + 3;
        const bool holds = (box.flags & FW_FLUKE_FOUND) && box.x <= qx + sx && box.y <= qy + sy &&
                           box.x + box.width >= qx + qw - sx && box.y + box.height >= qy + qh - sy &&
                           box.width * box.height <= 4 * qw * qh && box.confidence > 0.5;
        expect(holds, "reduced JPEG: box holds the fluke");
        std::printf("selftest: reduced JPEG box %d,%d %dx%d conf %.2f, fluke/4 %d,%d %dx%d\n", box.x, box.y, box.width,
                    box.height, box.confidence, fb[0] / 4, fb[1] / 4, fb[2] / 4, fb[3] / 4);
        fw_buffer_free(jpeg);
        fw_image_free(scene);
        fw_image_free(img);
    }
    // Plain images: grey, black, white, grey with noise, tiny. Nothing found, or low confidence.
    auto plain = [&](int w, int h, int value, double noise, const char *name) {
        cv::Mat m(h, w, CV_8UC3, cv::Scalar::all(value));
        if (noise > 0) {
            // The generator of FlukeFinderTests.testPlainImagesHaveNoFlukeOrALowConfidence.
            uint64_t state = 12345;
            for (size_t i = 0; i < m.total() * 3; ++i) {
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                m.data[i] = static_cast<uint8_t>(108 + static_cast<int>((state >> 33) % 25));
            }
        }
        fw_image *img = nullptr;
        check(fw_image_from_bgr(m.data, w, h, &img, &e), e, "from_bgr");
        fw_fluke_box box;
        check(fw_find_fluke(img, &box, &e), e, "find");
        std::printf("selftest: %s: flags %d conf %.2f\n", name, box.flags, box.confidence);
        expect(!(box.flags & FW_FLUKE_FOUND) || box.confidence < 0.3, std::string(name) + ": nothing or low confidence");
        fw_image *crop = nullptr;
        check(fw_crop(img, 0, 0, 0, 0, 0.08f, 224, 224, &crop, &e), e, "crop");
        expect(crop->mat.cols == 224 && crop->mat.rows == 224, std::string(name) + ": crop size");
        fw_image_free(crop);
        fw_image_free(img);
    };
    plain(640, 480, 128, 0, "grey");
    plain(640, 480, 0, 0, "black");
    plain(640, 480, 255, 0, "white");
    plain(640, 480, 120, 12, "noisy grey");
    plain(10, 10, 128, 0, "10x10 grey");
    plain(1, 1, 128, 0, "1x1 grey");
    // Crops: sizes, a box at the corner, a box outside, the whole image, errors.
    {
        fw_image *scene = nullptr;
        int fb[4];
        check(fw_render_fluke_scene(640, 480, 5, 6, 0, fb, &scene, &e), e, "render");
        fw_fluke_box box;
        check(fw_find_fluke(scene, &box, &e), e, "find");
        expect(box.flags & FW_FLUKE_FOUND, "sizes: found");
        for (int size : {224, 96, 1}) {
            for (int fit : {FW_CROP_STRETCH, FW_CROP_KEEP_ASPECT}) {
                for (bool whole : {false, true}) {
                    fw_image *c = nullptr;
                    check(fw_crop_fit(scene, whole ? 0 : box.x, whole ? 0 : box.y, whole ? 0 : box.width,
                                      whole ? 0 : box.height, 0.08f, size, size, fit, &c, &e), e, "crop sizes");
                    expect(c->mat.cols == size && c->mat.rows == size, "sizes: " + std::to_string(size));
                    fw_image_free(c);
                }
            }
        }
        fw_image_free(scene);
    }
    {
        cv::Mat m(200, 400, CV_8UC3, cv::Scalar::all(255));
        m(cv::Rect(0, 0, 20, 20)).setTo(cv::Scalar::all(0));
        fw_image *img = nullptr;
        check(fw_image_from_bgr(m.data, m.cols, m.rows, &img, &e), e, "from_bgr");
        fw_image *c = nullptr;
        check(fw_crop(img, 0, 0, 100, 50, 0.25f, 224, 224, &c, &e), e, "crop corner");
        auto blue = [&](int x, int y) { return c->mat.at<cv::Vec3b>(y, x)[0]; };
        expect(blue(52, 67) < 60 && blue(150, 150) > 200 && blue(5, 5) > 150 && blue(5, 5) < 250, "corner: layout");
        std::printf("selftest: corner crop: square %d, photo %d, fill %d\n", blue(52, 67), blue(150, 150), blue(5, 5));
        fw_image_free(c);
        fw_image_free(img);
    }
    {
        cv::Mat m(32, 64, CV_8UC3, cv::Scalar::all(9));
        fw_image *img = nullptr;
        check(fw_image_from_bgr(m.data, m.cols, m.rows, &img, &e), e, "from_bgr");
        fw_image *c = nullptr;
        expect(fw_crop(img, 0, 0, 0, 0, 0.0f, 0, 0, &c, &e) != 0, "size 0 is an error");
        expect(fw_crop(img, 0, 0, 2147483647, 2147483647, 0.1f, 224, 224, &c, &e) != 0, "huge box is an error");
        check(fw_crop(img, -5000, -5000, 10, 10, 0.1f, 32, 32, &c, &e), e, "crop outside");
        expect(c->mat.cols == 32 && cv::countNonZero(c->mat.reshape(1) != 9) == 0, "outside: nearest pixel");
        fw_image_free(c);
        fw_image_free(img);
    }
    {
        cv::Mat m(200, 400, CV_8UC3, cv::Scalar(0, 0, 0));
        m(cv::Rect(200, 0, 200, 200)).setTo(cv::Scalar(255, 255, 255));
        fw_image *img = nullptr;
        check(fw_image_from_bgr(m.data, m.cols, m.rows, &img, &e), e, "from_bgr");
        fw_image *c = nullptr;
        // fw_crop stretches (at most 2.5x): the whole 2:1 photo fills the square output.
        check(fw_crop(img, 0, 0, 0, 0, 0.1f, 64, 64, &c, &e), e, "crop whole");
        expect(c->mat.cols == 64 && c->mat.rows == 64, "whole: size");
        expect(c->mat.at<cv::Vec3b>(2, 8)[0] < 40 && c->mat.at<cv::Vec3b>(2, 56)[0] > 215, "whole: photo fills it");
        fw_image_free(c);
        // Keeping the aspect, the photo sits in the middle rows; the rows above and below are the
        // mean colour along the cut (grey).
        check(fw_crop_fit(img, 0, 0, 0, 0, 0.0f, 64, 64, FW_CROP_KEEP_ASPECT, &c, &e), e, "crop keep");
        const cv::Vec3b left = c->mat.at<cv::Vec3b>(32, 8), right = c->mat.at<cv::Vec3b>(32, 56), top = c->mat.at<cv::Vec3b>(2, 32);
        expect(left[0] < 40 && right[0] > 215 && top[0] > 60 && top[0] < 200, "keep: layout");
        fw_image_free(c);
        // A 5:1 box is stretched by 2.5 at most: it takes in photo above and below first.
        check(fw_crop_fit(img, 100, 80, 200, 40, 0.0f, 100, 100, FW_CROP_STRETCH, &c, &e), e, "crop 5:1");
        expect(c->mat.cols == 100 && c->mat.rows == 100, "5:1: size");
        fw_image_free(c);
        check(fw_crop(img, 0, 0, 100, 50, 0.25f, 224, 224, &c, &e), e, "crop at border");
        expect(c->mat.cols == 224 && c->mat.rows == 224, "border: size");
        fw_image_free(c);
        check(fw_crop(img, -500, -500, 100, 100, 0.1f, 32, 48, &c, &e), e, "crop outside");
        expect(c->mat.cols == 32 && c->mat.rows == 48, "outside: size");
        fw_image_free(c);
        check(fw_crop(img, 390, 190, 100, 100, 0.1f, 224, 224, &c, &e), e, "crop past the corner");
        expect(c->mat.at<cv::Vec3b>(112, 112)[0] > 215, "past the corner: bright");
        fw_image_free(c);
        expect(fw_crop(img, 0, 0, 10, 10, 0.1f, 0, 224, &c, &e) != 0 && c == nullptr, "zero size is an error");
        expect(fw_crop_fit(img, 0, 0, 10, 10, 0.1f, 224, 224, 7, &c, &e) != 0, "unknown fit is an error");
        expect(fw_crop(img, 0, 0, 1 << 30, 1 << 30, 0.1f, 224, 224, &c, &e) != 0, "absurd box is an error");
        fw_image_free(img);
    }
    std::printf("selftest: %s (%d failures)\n", failures == 0 ? "ok" : "FAILED", failures);
    return failures == 0 ? 0 : 1;
}

// The daemon's case: a 12 MP camera JPEG decoded at 1/4 (about 1000 x 750).
int run_timing() {
    fw_image *scene = nullptr;
    fw_error e{};
    int fb[4];
    check(fw_render_fluke_scene(4000, 3000, 77, 5, 10, fb, &scene, &e), e, "render");
    uint8_t *jpeg = nullptr;
    size_t length = 0;
    check(fw_encode_jpeg(scene, 0, 92, &jpeg, &length, &e), e, "encode");
    fw_image_free(scene);
    std::vector<double> decode, find, findCpu, crop;
    for (int i = 0; i < 15; ++i) {
        fw_image *img = nullptr;
        double t0 = now_ms();
        check(fw_decode(jpeg, length, 4, 1, &img, &e), e, "decode");
        decode.push_back(now_ms() - t0);
        fw_fluke_box box;
        t0 = now_ms();
        const double c0 = cpu_ms();
        check(fw_find_fluke(img, &box, &e), e, "find");
        find.push_back(now_ms() - t0);
        findCpu.push_back(cpu_ms() - c0);
        fw_image *c = nullptr;
        t0 = now_ms();
        check(fw_crop(img, box.x, box.y, box.width, box.height, 0.08f, 224, 224, &c, &e), e, "crop");
        crop.push_back(now_ms() - t0);
        if (i == 0) std::printf("12 MP (%.1f MB JPEG) at 1/4 = %dx%d\n", length / 1e6, img->mat.cols, img->mat.rows);
        fw_image_free(c);
        fw_image_free(img);
    }
    fw_buffer_free(jpeg);
    std::printf("medians on one thread: decode 1/4 %.1f ms, find %.2f ms (cpu %.2f ms), crop 224 %.2f ms\n",
                median(decode), median(find), median(findCpu), median(crop));
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--images") o.images = value();
        else if (a == "--sheet") o.sheet = value();
        else if (a == "--synthetic") o.synthetic = std::atoi(value().c_str());
        else if (a == "--seed") o.seed = std::atoi(value().c_str());
        else if (a == "--timing") o.timing = true;
        else if (a == "--selftest") o.selftest = true;
        else if (a == "--debug") o.debug = true;
        else if (a == "--margin") o.margin = static_cast<float>(std::atof(value().c_str()));
        else if (a == "--size") o.size = std::atoi(value().c_str());
        else if (a == "--fit") o.fit = value() == "keep" ? FW_CROP_KEEP_ASPECT : FW_CROP_STRETCH;
        else {
            std::fprintf(stderr, "unknown argument %s (see the comment at the top of crop_check.cpp)\n", a.c_str());
            return 2;
        }
    }
    fw_set_threads(1);
    if (!o.images.empty()) return run_real(o);
    if (o.synthetic > 0) return run_synthetic(o);
    if (o.timing) return run_timing();
    if (o.selftest) return run_selftest();
    std::fprintf(stderr, "nothing to do: give --images DIR, --synthetic N or --timing\n");
    return 2;
}
