// The C++ side of FlukeFinder.h's fw_find_fluke: a classical fluke finder (FlukeCrop.cpp cuts the
// crop the embedding reads; SeaAndSky.cpp models the water and sky, steps 2-4 below).
// Like the rest of the shim, every entry point is wrapped in `guarded`, so that no exception can
// unwind into Swift.
//
// How the finder works (tools/crop-check measures it on real and synthetic photos):
//   1. Shrink the photo by a whole factor to a long side near 384 px (cost independent of size).
//   2. Find the horizon, if there is one: a nearly level line that 70% of the columns cross with
//      a step from lighter to darker, with next to no texture just above it (sky) and more below.
//      Sky and sea then get separate background models; the horizon is a sharp step no smooth
//      surface can follow.
//   3. Model the background: each region's median colour, then a smooth surface (quadratic in
//      y, linear in x, per Lab channel) fitted to the pixels that first pass found to be
//      background, so that the fluke does not drag the model towards itself. (A third pass,
//      fitting again, moved no box enough to matter on the 41 real photos or 1000 synthetic
//      scenes and cost 2 ms of a photo's budget.)
//   4. Saliency: the Lab distance from the background of the *smoothed* signed difference, so that
//      wave crests and troughs cancel while the fluke (dark, or white with a dark rim, all over)
//      stays. Brighter-than-water counts for less than darker: foam and spray are bright.
//   5. Threshold (Otsu on clipped saliency, never under a floor), close, open, fill holes.
//   6. Score the connected regions by saliency mass (dark counts fully, bright a third), times a
//      shape prior (a raised fluke is 1-5 times wider than tall). A fluke often falls apart into
//      pieces (the lobes), so each region seeds a group that takes in smaller dark pieces within
//      reach; the best group wins.
//   7. Grow the group's box: hysteresis at a lower threshold (pale tips), bounded; a box that
//      spans most of the photo is snapped to the edges it nearly reaches (photos already cropped
//      to the fluke); and the smoothing radius is given back.
#include "FlukeFinder.h"
#include "ImageHandle.hpp"
#include "Guarded.hpp"
#include "SeaAndSky.hpp"
#include "WholeFactorShrink.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace flukefinder {

struct Detection {
    cv::Rect box; // in the photo's pixels
    double confidence = 0;
    bool found = false;
};

// Intermediate images for tools/crop-check (nullptr in the daemon).
struct Debug {
    cv::Mat saliency;   // CV_8U, kClip = 255
    cv::Mat foreground; // CV_8U, with the horizon drawn in grey
};

namespace {

// The long side the photo is shrunk to (by a whole factor, so roughly).
constexpr int kWorkLongSide = 384;
// Below this Lab distance a pixel is never foreground, whatever Otsu says (a flat, empty sea).
constexpr double kThresholdFloor = 14.0;
// Smoothing of the difference image, as a fraction of the working long side.
constexpr double kSmoothing = 0.012;
// Weight of chroma against lightness in the distance (colour photos).
constexpr float kChromaWeight = 2.0f;
// Weight of "brighter than the water" against "darker" in the scores.
constexpr double kBrightScore = 0.35;
// Smallest region considered, as a fraction of the photo.
constexpr double kMinRegion = 0.003;
// Lower threshold (fraction of the threshold) that extends the box, and how far it may.
constexpr double kHysteresis = 0.6;
constexpr double kHysteresisReach = 0.25;
// A box spanning kSnapSpan of the photo is snapped to an edge closer than kSnapGap.
constexpr double kSnapSpan = 0.7;
constexpr double kSnapGap = 0.2;

// Step 1: the photo shrunk by a whole factor, in Lab, and whether its colour is worth weighing.
struct WorkImage {
    cv::Mat small, lab8, lab;
    int factor = 1;
    float chroma = 0; // weight of chroma in the distance; 0 for a greyscale photo
    int width() const { return small.cols; }
    int height() const { return small.rows; }
};

// Shrink by a whole factor (OpenCV's fast path for area averaging), the one that brings the
// long side nearest to kWorkLongSide (so between about 270 and 580 pixels). None when the
// result is too small to hold a fluke.
std::optional<WorkImage> work_image(const cv::Mat &bgr) {
    WorkImage wi;
    const int longSide = std::max(bgr.cols, bgr.rows);
    wi.factor = std::max(1, (longSide + kWorkLongSide / 2) / kWorkLongSide);
    wi.small = shrink_by_whole_factor(bgr, wi.factor);
    if (wi.small.cols < 16 || wi.small.rows < 16) return std::nullopt;
    cv::cvtColor(wi.small, wi.lab8, cv::COLOR_BGR2Lab);
    wi.lab8.convertTo(wi.lab, CV_32FC3);
    // Greyscale photos (a and b flat at 128) are judged on lightness alone.
    cv::Mat absAB;
    cv::absdiff(wi.lab8, cv::Scalar(0, 128, 128), absAB);
    const cv::Scalar abSpread = cv::mean(absAB);
    wi.chroma = abSpread[1] + abSpread[2] < 2.0 ? 0.0f : kChromaWeight;
    return wi;
}

// Steps 2-5: how far each pixel is from its sky or sea, and the threshold that splits them.
struct Saliency {
    Horizon horizon;
    cv::Mat horizonBand; // the horizon's own step, a pixel off the fitted line, is no fluke
    cv::Mat saliency, lightnessDifference;
    double threshold = 0;
    double sigma = 0;
};

Saliency saliency_of(const WorkImage &wi) {
    Saliency s;
    const int w = wi.width(), h = wi.height();
    // Sky and sea are modelled apart.
    cv::Mat lightness;
    cv::extractChannel(wi.lab, lightness, 0);
    s.horizon = find_horizon(lightness);
    cv::Mat sky(h, w, CV_8U, cv::Scalar(0));
    if (s.horizon.found) {
        for (int y = 0; y < h; ++y) {
            uchar *r = sky.ptr<uchar>(y);
            for (int x = 0; x < w; ++x) r[x] = y < s.horizon.at(x, w) ? 255 : 0;
        }
        s.horizonBand = cv::Mat::zeros(h, w, CV_8U);
        cv::line(s.horizonBand, cv::Point(0, static_cast<int>(std::lround(s.horizon.at(0, w)))),
                 cv::Point(w - 1, static_cast<int>(std::lround(s.horizon.at(w - 1, w)))), cv::Scalar(255), 5);
    }
    const cv::Mat sea = sky == 0;
    const bool hasSky = cv::countNonZero(sky) > 0;

    // Pass 1: each region's median colour. Pass 2: a smooth surface fitted to the pixels pass 1
    // found to be background.
    s.sigma = kSmoothing * std::max(w, h);
    const cv::Vec3f seaMedian = masked_median(wi.lab8, sea);
    const cv::Vec3f skyMedian = hasSky ? masked_median(wi.lab8, sky) : seaMedian;
    cv::Mat background(h, w, CV_32FC3);
    cv::Mat bgMask;
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 0) {
            background.setTo(cv::Scalar(seaMedian[0], seaMedian[1], seaMedian[2]), sea);
            if (hasSky) background.setTo(cv::Scalar(skyMedian[0], skyMedian[1], skyMedian[2]), sky);
        } else {
            fit_surface(wi.lab, bgMask & sea, sea, seaMedian, background);
            if (hasSky) fit_surface(wi.lab, bgMask & sky, sky, skyMedian, background);
        }
        s.saliency = distance_from(wi.lab, background, wi.chroma, s.sigma, s.horizonBand, s.lightnessDifference);
        // Otsu between "like the sea" and "clearly not", on clipped saliency: unclipped, white
        // markings (far from everything) would pull the threshold above the dark fluke body.
        s.threshold = std::max(otsu_threshold(s.saliency, kClip), kThresholdFloor);
        bgMask = s.saliency < s.threshold;
    }
    return s;
}

// Step 5: the foreground mask (threshold, close, open, fill holes).
cv::Mat foreground_of(const Saliency &s) {
    cv::Mat fg = s.saliency >= s.threshold;
    const int k = std::max(3, (std::min(fg.cols, fg.rows) / 40) | 1);
    cv::morphologyEx(fg, fg, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k, k)));
    cv::morphologyEx(fg, fg, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
    fill_holes(fg);
    return fg;
}

// Step 6, first half: the foreground's connected regions, each with its saliency mass (split by
// darker / brighter than the water) and its score.
struct Regions {
    cv::Mat labels, stats;
    int n = 0;
    std::vector<double> mass, darkMass, score;
    cv::Rect rect(int i) const {
        return cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                        stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    }
    int area(int i) const { return stats.at<int>(i, cv::CC_STAT_AREA); }
    // Foam, spray and glare are bright; a fluke always has dark parts, even with a white underside.
    bool isDark(int i) const { return darkMass[i] >= 0.3 * mass[i]; }
};

Regions regions_of(const cv::Mat &fg, const Saliency &s) {
    Regions g;
    const int w = fg.cols, h = fg.rows;
    cv::Mat centroids;
    g.n = cv::connectedComponentsWithStats(fg, g.labels, g.stats, centroids, 8, CV_32S);
    g.mass.assign(g.n, 0.0);
    g.darkMass.assign(g.n, 0.0);
    for (int y = 0; y < h; ++y) {
        const int *l = g.labels.ptr<int>(y);
        const float *sal = s.saliency.ptr<float>(y);
        const float *d = s.lightnessDifference.ptr<float>(y);
        for (int x = 0; x < w; ++x) {
            const double v = std::min(sal[x], static_cast<float>(kClip));
            g.mass[l[x]] += v;
            if (d[x] < 0) g.darkMass[l[x]] += v;
        }
    }
    g.score.assign(g.n, 0.0);
    for (int i = 1; i < g.n; ++i) {
        const cv::Rect r = g.rect(i);
        if (g.area(i) < kMinRegion * w * h) continue;
        const double aspect = static_cast<double>(r.width) / r.height;
        const double fill = g.area(i) / static_cast<double>(r.area());
        // A raised fluke is wider than tall (1 to 5 times) and fills a fair part of its box.
        double shape = 1.0;
        if (aspect > 5.0) shape *= std::pow(5.0 / aspect, 1.5);
        if (aspect < 1.0) shape *= aspect * aspect;
        if (fill < 0.2) shape *= fill / 0.2;
        // A bright band across the whole top is a sky the horizon search missed.
        if (r.y == 0 && r.width >= 0.9 * w && !g.isDark(i)) shape *= 0.1;
        g.score[i] = (g.darkMass[i] + kBrightScore * (g.mass[i] - g.darkMass[i])) * shape;
    }
    return g;
}

// Step 6, second half: the best group of regions.
struct Group {
    cv::Rect box;
    std::vector<int> members;
    double score = 0;
};

// A fluke often falls apart into pieces (two lobes split by a pale middle or by spray). Every
// region is tried as the seed of a group that takes in the smaller dark pieces within reach of
// it, and the group with the most score wins. Lobes sit side by side: the reach is as wide as
// the seed sideways, and a third of its height up and down. Spray and foam are bright: they
// are not pieces, nor do they gather any.
Group best_group(const Regions &g) {
    Group best;
    for (int seed = 1; seed < g.n; ++seed) {
        if (g.score[seed] <= 0) continue;
        const cv::Rect seedBox = g.rect(seed);
        const int gx = seedBox.width, gy = static_cast<int>(seedBox.height * 0.3);
        const cv::Rect reach(seedBox.x - gx, seedBox.y - gy, seedBox.width + 2 * gx, seedBox.height + 2 * gy);
        cv::Rect group = seedBox;
        double groupScore = g.score[seed];
        std::vector<int> groupMembers{seed};
        for (int i = 1; i < g.n && g.isDark(seed); ++i) {
            if (i == seed || g.score[i] <= 0 || !g.isDark(i)) continue;
            if (g.area(i) > g.area(seed) || g.area(i) < 0.08 * g.area(seed)) continue;
            const cv::Rect r = g.rect(i);
            if ((r & reach).area() == 0) continue;
            group |= r;
            groupScore += g.score[i];
            groupMembers.push_back(i);
        }
        if (groupScore > best.score) {
            best.score = groupScore;
            best.box = group;
            best.members = groupMembers;
        }
    }
    return best;
}

// Step 7, hysteresis: the pale tips of a lobe often fall just under the threshold. Whatever is
// connected to the chosen pieces at a lower threshold extends the box, by at most a quarter
// of its size on each side (so that a ripple of the sea cannot run off with it).
cv::Rect grown_by_hysteresis(const Group &best, const Regions &g, const Saliency &s) {
    cv::Rect box = best.box;
    const cv::Mat weak = s.saliency >= kHysteresis * s.threshold;
    cv::Mat weakLabels, weakStats, weakCentroids;
    const int wn = cv::connectedComponentsWithStats(weak, weakLabels, weakStats, weakCentroids, 8, CV_32S);
    std::vector<bool> isMember(g.n, false), touched(wn, false);
    for (int m : best.members) isMember[m] = true;
    for (int y = box.y; y < box.br().y; ++y) {
        const int *l = g.labels.ptr<int>(y);
        const int *wl = weakLabels.ptr<int>(y);
        for (int x = box.x; x < box.br().x; ++x) {
            if (isMember[l[x]] && wl[x] > 0) touched[wl[x]] = true;
        }
    }
    const int cx = static_cast<int>(box.width * kHysteresisReach), cy = static_cast<int>(box.height * kHysteresisReach);
    const cv::Rect cap(box.x - cx, box.y - cy, box.width + 2 * cx, box.height + 2 * cy);
    for (int i = 1; i < wn; ++i) {
        if (!touched[i]) continue;
        box |= cv::Rect(weakStats.at<int>(i, cv::CC_STAT_LEFT), weakStats.at<int>(i, cv::CC_STAT_TOP),
                        weakStats.at<int>(i, cv::CC_STAT_WIDTH), weakStats.at<int>(i, cv::CC_STAT_HEIGHT)) & cap;
    }
    return box;
}

// Step 7, the rest: snap a photo-spanning box to the edges, give the smoothing radius back, and
// scale to the photo's pixels.
cv::Rect photo_box(const cv::Rect &box, const WorkImage &wi, double sigma, const cv::Size &photo) {
    const int w = wi.width(), h = wi.height();
    // A fluke that spans most of the photo (a photo already cropped to it) runs on to the edge
    // more often than not, its pale tips lost against the water: close the last strip.
    int left = box.x, top = box.y, right = box.br().x, bottom = box.br().y;
    if (right - left >= kSnapSpan * w) {
        if (left < kSnapGap * w) left = 0;
        if (w - right < kSnapGap * w) right = w;
    }
    if (bottom - top >= kSnapSpan * h) {
        if (top < kSnapGap * h) top = 0;
        if (h - bottom < kSnapGap * h) bottom = h;
    }
    // The smoothing pulls the outline inwards by about sigma: give it back.
    const int grow = static_cast<int>(std::ceil(1.5 * sigma));
    left = std::max(0, left - grow);
    top = std::max(0, top - grow);
    right = std::min(w, right + grow);
    bottom = std::min(h, bottom + grow);
    // Back to the photo's pixels; a box at the working image's far edge reaches the photo's (the
    // whole-factor shrink dropped up to factor - 1 pixels there).
    const int factor = wi.factor;
    const int x1 = right >= w ? photo.width : right * factor;
    const int y1 = bottom >= h ? photo.height : bottom * factor;
    return cv::Rect(left * factor, top * factor, x1 - left * factor, y1 - top * factor) &
           cv::Rect(0, 0, photo.width, photo.height);
}

// Confidence: how strongly the fluke stands out from the water (mean saliency against a
// strong 40), and how much of all the salient matter in the photo it is.
double confidence_of(const Group &best, const Regions &g) {
    double groupMass = 0, groupArea = 0, totalScore = 0;
    for (int m : best.members) {
        groupMass += g.mass[m];
        groupArea += g.area(m);
    }
    for (int i = 1; i < g.n; ++i) totalScore += g.score[i];
    const double contrast = std::min(1.0, groupMass / std::max(1.0, groupArea) / 40.0);
    const double dominance = totalScore > 0 ? best.score / totalScore : 0.0;
    return std::clamp(std::sqrt(contrast * dominance), 0.0, 1.0);
}

} // namespace

Detection detect(const cv::Mat &photo, Debug *debug) {
    Detection result;
    cv::Mat bgr = photo;
    if (photo.type() != CV_8UC3) {
        if (photo.depth() != CV_8U) return result;
        if (photo.channels() == 1) cv::cvtColor(photo, bgr, cv::COLOR_GRAY2BGR);
        else if (photo.channels() == 4) cv::cvtColor(photo, bgr, cv::COLOR_BGRA2BGR);
        else return result;
    }
    const std::optional<WorkImage> wi = work_image(bgr);
    if (!wi) return result;
    const Saliency s = saliency_of(*wi);
    const cv::Mat fg = foreground_of(s);
    if (debug != nullptr) {
        s.saliency.convertTo(debug->saliency, CV_8U, 255.0 / kClip);
        debug->foreground = fg.clone();
        if (s.horizon.found) debug->foreground.setTo(cv::Scalar(128), s.horizonBand & (fg == 0));
    }
    const Regions regions = regions_of(fg, s);
    const Group best = best_group(regions);
    if (best.members.empty()) return result;
    result.box = photo_box(grown_by_hysteresis(best, regions, s), *wi, s.sigma, bgr.size());
    result.confidence = confidence_of(best, regions);
    result.found = result.box.area() > 0;
    return result;
}

// For tools/crop-check (it declares this; not part of the C API): the working image's saliency
// and foreground maps, to see why a photo went wrong.
void debug_maps(const cv::Mat &bgr, cv::Mat &saliency, cv::Mat &foreground) {
    Debug d;
    detect(bgr, &d);
    saliency = d.saliency;
    foreground = d.foreground;
}

} // namespace flukefinder

using fwshim::guarded;
using fwshim::set_error;

extern "C" {

int fw_find_fluke(const fw_image *image, fw_fluke_box *out, fw_error *error) {
    return guarded(error, "fluke finder", [&]() -> int {
        if (out == nullptr) {
            set_error(error, "no output box");
            return -1;
        }
        *out = fw_fluke_box{0, 0, 0, 0, 0.0, 0};
        if (image == nullptr || image->mat.empty()) {
            set_error(error, "empty image");
            return -1;
        }
        const flukefinder::Detection d = flukefinder::detect(image->mat, nullptr);
        if (!d.found) return 0;
        out->x = d.box.x;
        out->y = d.box.y;
        out->width = d.box.width;
        out->height = d.box.height;
        out->confidence = d.confidence;
        out->flags = FW_FLUKE_FOUND;
        if (d.box.x <= 0 || d.box.y <= 0 || d.box.br().x >= image->mat.cols || d.box.br().y >= image->mat.rows) {
            out->flags |= FW_FLUKE_TOUCHES_EDGE;
        }
        return 0;
    });
}

} // extern "C"
