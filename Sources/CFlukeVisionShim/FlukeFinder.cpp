// The C++ side of FlukeFinder.h: a classical fluke finder and the crop the embedding reads.
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
#include "WholeFactorShrink.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
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
// Lab distance (8-bit units) from which a pixel is plainly not sea or sky; saliency is clipped
// there before thresholding and scoring, so that white markings do not outweigh a dark body.
constexpr double kClip = 64.0;
// Below this Lab distance a pixel is never foreground, whatever Otsu says (a flat, empty sea).
constexpr double kThresholdFloor = 14.0;
// Smoothing of the difference image, as a fraction of the working long side.
constexpr double kSmoothing = 0.012;
// Weight of chroma against lightness in the distance (colour photos).
constexpr float kChromaWeight = 2.0f;
// Weight of "brighter than the water" against "darker" in the distance, and in the scores.
constexpr float kBrightWeight = 0.6f;
constexpr double kBrightScore = 0.35;
// Smallest region considered, as a fraction of the photo.
constexpr double kMinRegion = 0.003;
// Lower threshold (fraction of the threshold) that extends the box, and how far it may.
constexpr double kHysteresis = 0.6;
constexpr double kHysteresisReach = 0.25;
// A box spanning kSnapSpan of the photo is snapped to an edge closer than kSnapGap.
constexpr double kSnapSpan = 0.7;
constexpr double kSnapGap = 0.2;

// How far every pixel is from the background estimate, in Lab (8-bit units), chroma weighted by
// `chroma`; pixels in `ignore` count as background. The signed difference is smoothed first:
// wave crests and troughs, bright and dark streaks side by side, cancel out, while the fluke,
// dark (or white) all over, stays. Pixels brighter than the background count for less than
// darker ones: foam and spray are bright, flukes are mostly dark (a white underside is still
// outlined by a black trailing edge). `lightnessDifference` receives the smoothed signed
// lightness difference (negative: darker than the water).
cv::Mat distance_from(const cv::Mat &lab, const cv::Mat &background, float chroma, double sigma,
                      const cv::Mat &ignore, cv::Mat &lightnessDifference) {
    cv::Mat diff = lab - background;
    if (!ignore.empty()) diff.setTo(cv::Scalar::all(0), ignore);
    if (sigma > 0) {
        // Two box filters: nearly a Gaussian of this sigma, at a cost that does not grow with it.
        const int width = std::max(3, static_cast<int>(std::lround(std::sqrt(6.0 * sigma * sigma + 1.0))) | 1);
        cv::boxFilter(diff, diff, -1, cv::Size(width, width));
        cv::boxFilter(diff, diff, -1, cv::Size(width, width));
    }
    cv::extractChannel(diff, lightnessDifference, 0);
    cv::Mat out(lab.size(), CV_32F);
    for (int y = 0; y < lab.rows; ++y) {
        const cv::Vec3f *d = diff.ptr<cv::Vec3f>(y);
        float *o = out.ptr<float>(y);
        for (int x = 0; x < lab.cols; ++x) {
            const float dl = d[x][0] > 0 ? d[x][0] * kBrightWeight : d[x][0];
            o[x] = std::sqrt(dl * dl + chroma * (d[x][1] * d[x][1] + d[x][2] * d[x][2]));
        }
    }
    return out;
}

// A straight horizon, y = y0 + slope * (x - width / 2) in working pixels, or none.
struct Horizon {
    bool found = false;
    double y0 = 0;
    double slope = 0;
    double at(int x, int width) const { return y0 + slope * (x - width / 2.0); }
};

// The horizon is the one edge that crosses the whole photo, nearly level, with the sky lighter
// than the sea: for every candidate line (tilts up to 3 degrees, every row in the upper three
// quarters, on a half-size copy) take the lightness step across it that 70% of the columns
// reach. The fluke's outline, the waves and the spray cross only some columns.
Horizon find_horizon(const cv::Mat &lightness) {
    cv::Mat L;
    cv::resize(lightness, L, cv::Size(std::max(8, lightness.cols / 2), std::max(8, lightness.rows / 2)), 0, 0,
               cv::INTER_AREA);
    const int w = L.cols, h = L.rows;
    const int gap = 2;
    struct Candidate {
        double step;
        int y;
        double slope;
    };
    std::vector<Candidate> candidates;
    std::vector<float> steps;
    steps.reserve(w);
    for (int tilt = -4; tilt <= 4; ++tilt) {
        const double slope = 0.0125 * tilt;
        for (int y = std::max(gap, h / 30); y < h * 3 / 4; ++y) {
            steps.clear();
            for (int x = 0; x < w; x += 2) {
                const int yy = static_cast<int>(std::lround(y + slope * (x - w / 2.0)));
                if (yy - gap < 0 || yy + gap >= h) continue;
                steps.push_back(L.at<float>(yy - gap, x) - L.at<float>(yy + gap, x));
            }
            if (static_cast<int>(steps.size()) < w / 4) continue; // the line leaves the photo
            auto low = steps.begin() + steps.size() * 3 / 10;
            std::nth_element(steps.begin(), low, steps.end());
            if (*low >= 8.0) candidates.push_back({*low, y, slope});
        }
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate &a, const Candidate &b) { return a.step > b.step; });

    // Sky is smooth and the sea is not. Texture here is the median over a band of pixels of the
    // absolute second difference of the (slightly smoothed) lightness: a smooth gradient (a
    // clear sky darkening upwards) is no texture, and fluke tips rising into the band do not
    // count while they cover less than half of it.
    cv::Mat smooth;
    cv::GaussianBlur(L, smooth, cv::Size(0, 0), 1.0);
    std::vector<float> values;
    auto texture = [&](int yFrom, int yTo, const Candidate &c) {
        values.clear();
        for (int x = 1; x + 1 < w; x += 2) {
            const double shift = c.slope * (x - w / 2.0);
            for (int y = yFrom; y < yTo; ++y) {
                const int yy = static_cast<int>(std::lround(y + shift));
                if (yy < 1 || yy + 1 >= h) continue;
                const float v2 = 2 * smooth.at<float>(yy, x);
                values.push_back(std::abs(smooth.at<float>(yy - 1, x) - v2 + smooth.at<float>(yy + 1, x)) +
                                 std::abs(smooth.at<float>(yy, x - 1) - v2 + smooth.at<float>(yy, x + 1)));
            }
        }
        if (values.empty()) return 0.0;
        auto mid = values.begin() + values.size() / 2;
        std::nth_element(values.begin(), mid, values.end());
        return static_cast<double>(*mid);
    };
    // Of the strongest lines, the first with next to no texture just above it, and much less than
    // just below. This rejects the straight trailing edge of a big fluke (waves above it) and a
    // shore line (hills and houses above it). Measured on the 41 real photos: real skies 0.0-1.2,
    // the others 2.0 and more; real horizons step by 18-52.
    Horizon best;
    const int band = std::max(3, h / 8);
    const int tries = std::min<int>(8, static_cast<int>(candidates.size()));
    for (int i = 0; i < tries; ++i) {
        const Candidate &c = candidates[i];
        // The bands leave out a few rows at the line, where the horizon itself is blurred.
        const double above = texture(c.y - band - 2, c.y - gap - 2, c);
        const double below = texture(c.y + gap + 2, c.y + band + 2, c);
        const bool smoothSky = above <= 1.5 && above <= 0.5 * below + 0.3;
        // A very strong step (a bright sky over a dark sea) needs less: sensor noise can make
        // the sky look as textured as a calm sea.
        const bool strongStep = c.step >= 40 && above <= 1.1 * below + 0.3;
        if (!smoothSky && !strongStep) continue;
        best.found = true;
        best.y0 = (c.y + 0.5) * lightness.rows / static_cast<double>(h);
        best.slope = c.slope * (static_cast<double>(lightness.rows) / h) / (static_cast<double>(lightness.cols) / w);
        break;
    }
    return best;
}

// Median of each channel of the 8-bit Lab pixels that `mask` marks.
cv::Vec3f masked_median(const cv::Mat &lab8, const cv::Mat &mask) {
    int hist[3][256] = {};
    int count = 0;
    for (int y = 0; y < lab8.rows; ++y) {
        const cv::Vec3b *p = lab8.ptr<cv::Vec3b>(y);
        const uchar *m = mask.ptr<uchar>(y);
        for (int x = 0; x < lab8.cols; ++x) {
            if (m[x] == 0) continue;
            ++hist[0][p[x][0]];
            ++hist[1][p[x][1]];
            ++hist[2][p[x][2]];
            ++count;
        }
    }
    cv::Vec3f out(0, 128, 128);
    if (count == 0) return out;
    for (int c = 0; c < 3; ++c) {
        int seen = 0, v = 0;
        while (v < 255 && (seen += hist[c][v]) * 2 < count) ++v;
        out[c] = static_cast<float>(v);
    }
    return out;
}

// Sea (or sky) as a smooth surface, c0 + c1 x + c2 y + c3 y^2 per Lab channel, fitted by least
// squares to the pixels `mask` marks (every other row and column): the sea darkens or lightens
// towards the camera, the sky towards the horizon. Writes the model into `background` where
// `region` is set; `fallback` where there is too little to fit.
void fit_surface(const cv::Mat &lab, const cv::Mat &mask, const cv::Mat &region, cv::Vec3f fallback, cv::Mat &background) {
    const int w = lab.cols, h = lab.rows;
    auto features = [&](int x, int y, double f[4]) {
        const double u = 2.0 * x / w - 1.0, v = 2.0 * y / h - 1.0;
        f[0] = 1.0;
        f[1] = u;
        f[2] = v;
        f[3] = v * v;
    };
    cv::Matx44d ata = cv::Matx44d::zeros();
    cv::Matx<double, 4, 3> atb = cv::Matx<double, 4, 3>::zeros();
    int count = 0;
    double f[4];
    for (int y = 0; y < h; y += 2) {
        const cv::Vec3f *p = lab.ptr<cv::Vec3f>(y);
        const uchar *m = mask.ptr<uchar>(y);
        for (int x = 0; x < w; x += 2) {
            if (m[x] == 0) continue;
            features(x, y, f);
            for (int i = 0; i < 4; ++i) {
                for (int j = 0; j < 4; ++j) ata(i, j) += f[i] * f[j];
                for (int c = 0; c < 3; ++c) atb(i, c) += f[i] * p[x][c];
            }
            ++count;
        }
    }
    cv::Matx<double, 4, 3> coef;
    const bool fitted = count >= 60 && cv::solve(ata, atb, coef, cv::DECOMP_CHOLESKY);
    // Evaluated row by row: the surface is linear in x, so each row is a start value and a step
    // per pixel (the same sums as features() term by term, a third of the work).
    for (int y = 0; y < h; ++y) {
        const uchar *r = region.ptr<uchar>(y);
        cv::Vec3f *b = background.ptr<cv::Vec3f>(y);
        if (!fitted) {
            for (int x = 0; x < w; ++x)
                if (r[x] != 0) b[x] = fallback;
            continue;
        }
        features(0, y, f);
        double start[3], step[3];
        for (int c = 0; c < 3; ++c) {
            start[c] = coef(0, c) * f[0] + coef(1, c) * f[1] + coef(2, c) * f[2] + coef(3, c) * f[3];
            step[c] = coef(1, c) * 2.0 / w;
        }
        for (int x = 0; x < w; ++x) {
            if (r[x] == 0) continue;
            for (int c = 0; c < 3; ++c) b[x][c] = static_cast<float>(start[c] + step[c] * x);
        }
    }
}

// Otsu's threshold of `values` clipped to 0..maxValue.
double otsu_threshold(const cv::Mat &values, double maxValue) {
    cv::Mat scaled;
    values.convertTo(scaled, CV_8U, 255.0 / maxValue); // saturates: values above maxValue clip
    cv::Mat ignored;
    return cv::threshold(scaled, ignored, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU) * maxValue / 255.0;
}

// Fills the holes of a binary mask (a white underside ringed by its dark outline).
void fill_holes(cv::Mat &mask) {
    cv::Mat padded;
    cv::copyMakeBorder(mask, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
    cv::floodFill(padded, cv::Point(0, 0), cv::Scalar(128));
    const cv::Mat holes = padded(cv::Rect(1, 1, mask.cols, mask.rows)) == 0;
    mask |= holes;
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
    // Shrink by a whole factor (OpenCV's fast path for area averaging), the one that brings the
    // long side nearest to kWorkLongSide (so between about 270 and 580 pixels).
    const int longSide = std::max(bgr.cols, bgr.rows);
    const int factor = std::max(1, (longSide + kWorkLongSide / 2) / kWorkLongSide);
    const cv::Mat small = shrink_by_whole_factor(bgr, factor);
    if (small.cols < 16 || small.rows < 16) return result;
    const int w = small.cols, h = small.rows;

    cv::Mat lab8, lab;
    cv::cvtColor(small, lab8, cv::COLOR_BGR2Lab);
    lab8.convertTo(lab, CV_32FC3);
    // Greyscale photos (a and b flat at 128) are judged on lightness alone.
    cv::Mat absAB;
    cv::absdiff(lab8, cv::Scalar(0, 128, 128), absAB);
    const cv::Scalar abSpread = cv::mean(absAB);
    const float chroma = abSpread[1] + abSpread[2] < 2.0 ? 0.0f : kChromaWeight;

    // Sky and sea are modelled apart.
    cv::Mat lightness;
    cv::extractChannel(lab, lightness, 0);
    const Horizon horizon = find_horizon(lightness);
    cv::Mat sky(h, w, CV_8U, cv::Scalar(0));
    cv::Mat horizonBand; // the horizon's own step, a pixel off the fitted line, is no fluke
    if (horizon.found) {
        for (int y = 0; y < h; ++y) {
            uchar *r = sky.ptr<uchar>(y);
            for (int x = 0; x < w; ++x) r[x] = y < horizon.at(x, w) ? 255 : 0;
        }
        horizonBand = cv::Mat::zeros(h, w, CV_8U);
        cv::line(horizonBand, cv::Point(0, static_cast<int>(std::lround(horizon.at(0, w)))),
                 cv::Point(w - 1, static_cast<int>(std::lround(horizon.at(w - 1, w)))), cv::Scalar(255), 5);
    }
    const cv::Mat sea = sky == 0;
    const bool hasSky = cv::countNonZero(sky) > 0;

    // Pass 1: each region's median colour. Pass 2: a smooth surface fitted to the pixels pass 1
    // found to be background.
    const double sigma = kSmoothing * std::max(w, h);
    const cv::Vec3f seaMedian = masked_median(lab8, sea);
    const cv::Vec3f skyMedian = hasSky ? masked_median(lab8, sky) : seaMedian;
    cv::Mat background(h, w, CV_32FC3);
    cv::Mat saliency, lightnessDifference, bgMask;
    double threshold = 0;
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 0) {
            background.setTo(cv::Scalar(seaMedian[0], seaMedian[1], seaMedian[2]), sea);
            if (hasSky) background.setTo(cv::Scalar(skyMedian[0], skyMedian[1], skyMedian[2]), sky);
        } else {
            fit_surface(lab, bgMask & sea, sea, seaMedian, background);
            if (hasSky) fit_surface(lab, bgMask & sky, sky, skyMedian, background);
        }
        saliency = distance_from(lab, background, chroma, sigma, horizonBand, lightnessDifference);
        // Otsu between "like the sea" and "clearly not", on clipped saliency: unclipped, white
        // markings (far from everything) would pull the threshold above the dark fluke body.
        threshold = std::max(otsu_threshold(saliency, kClip), kThresholdFloor);
        bgMask = saliency < threshold;
    }
    cv::Mat fg = saliency >= threshold;
    const int k = std::max(3, (std::min(w, h) / 40) | 1);
    cv::morphologyEx(fg, fg, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k, k)));
    cv::morphologyEx(fg, fg, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
    fill_holes(fg);
    if (debug != nullptr) {
        saliency.convertTo(debug->saliency, CV_8U, 255.0 / kClip);
        debug->foreground = fg.clone();
        if (horizon.found) debug->foreground.setTo(cv::Scalar(128), horizonBand & (fg == 0));
    }

    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(fg, labels, stats, centroids, 8, CV_32S);
    auto rectOf = [&](int i) {
        return cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                        stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    };
    auto areaOf = [&](int i) { return stats.at<int>(i, cv::CC_STAT_AREA); };
    // Each region's saliency, split by whether it is darker or brighter than the water: foam,
    // spray and glare are bright; a fluke always has dark parts, even with a white underside.
    std::vector<double> mass(n, 0.0), darkMass(n, 0.0);
    for (int y = 0; y < h; ++y) {
        const int *l = labels.ptr<int>(y);
        const float *s = saliency.ptr<float>(y);
        const float *d = lightnessDifference.ptr<float>(y);
        for (int x = 0; x < w; ++x) {
            const double v = std::min(s[x], static_cast<float>(kClip));
            mass[l[x]] += v;
            if (d[x] < 0) darkMass[l[x]] += v;
        }
    }
    auto isDark = [&](int i) { return darkMass[i] >= 0.3 * mass[i]; };
    std::vector<double> score(n, 0.0);
    for (int i = 1; i < n; ++i) {
        const cv::Rect r = rectOf(i);
        if (areaOf(i) < kMinRegion * w * h) continue;
        const double aspect = static_cast<double>(r.width) / r.height;
        const double fill = areaOf(i) / static_cast<double>(r.area());
        // A raised fluke is wider than tall (1 to 5 times) and fills a fair part of its box.
        double shape = 1.0;
        if (aspect > 5.0) shape *= std::pow(5.0 / aspect, 1.5);
        if (aspect < 1.0) shape *= aspect * aspect;
        if (fill < 0.2) shape *= fill / 0.2;
        // A bright band across the whole top is a sky the horizon search missed.
        if (r.y == 0 && r.width >= 0.9 * w && !isDark(i)) shape *= 0.1;
        score[i] = (darkMass[i] + kBrightScore * (mass[i] - darkMass[i])) * shape;
    }

    // A fluke often falls apart into pieces (two lobes split by a pale middle or by spray). Every
    // region is tried as the seed of a group that takes in the smaller dark pieces within reach of
    // it, and the group with the most score wins. Lobes sit side by side: the reach is as wide as
    // the seed sideways, and a third of its height up and down. Spray and foam are bright: they
    // are not pieces, nor do they gather any.
    double bestScore = 0;
    cv::Rect box;
    std::vector<int> members;
    for (int seed = 1; seed < n; ++seed) {
        if (score[seed] <= 0) continue;
        const cv::Rect seedBox = rectOf(seed);
        const int gx = seedBox.width, gy = static_cast<int>(seedBox.height * 0.3);
        const cv::Rect reach(seedBox.x - gx, seedBox.y - gy, seedBox.width + 2 * gx, seedBox.height + 2 * gy);
        cv::Rect group = seedBox;
        double groupScore = score[seed];
        std::vector<int> groupMembers{seed};
        for (int i = 1; i < n && isDark(seed); ++i) {
            if (i == seed || score[i] <= 0 || !isDark(i)) continue;
            if (areaOf(i) > areaOf(seed) || areaOf(i) < 0.08 * areaOf(seed)) continue;
            const cv::Rect r = rectOf(i);
            if ((r & reach).area() == 0) continue;
            group |= r;
            groupScore += score[i];
            groupMembers.push_back(i);
        }
        if (groupScore > bestScore) {
            bestScore = groupScore;
            box = group;
            members = groupMembers;
        }
    }
    if (members.empty()) return result;

    // Hysteresis: the pale tips of a lobe often fall just under the threshold. Whatever is
    // connected to the chosen pieces at a lower threshold extends the box, by at most a quarter
    // of its size on each side (so that a ripple of the sea cannot run off with it).
    {
        const cv::Mat weak = saliency >= kHysteresis * threshold;
        cv::Mat weakLabels, weakStats, weakCentroids;
        const int wn = cv::connectedComponentsWithStats(weak, weakLabels, weakStats, weakCentroids, 8, CV_32S);
        std::vector<bool> isMember(n, false), touched(wn, false);
        for (int m : members) isMember[m] = true;
        for (int y = box.y; y < box.br().y; ++y) {
            const int *l = labels.ptr<int>(y);
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
    }
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
    const int x1 = right >= w ? bgr.cols : right * factor;
    const int y1 = bottom >= h ? bgr.rows : bottom * factor;
    result.box = cv::Rect(left * factor, top * factor, x1 - left * factor, y1 - top * factor) & cv::Rect(0, 0, bgr.cols, bgr.rows);

    // Confidence: how strongly the fluke stands out from the water (mean saliency against a
    // strong 40), and how much of all the salient matter in the photo it is.
    double groupMass = 0, groupArea = 0, totalScore = 0;
    for (int m : members) {
        groupMass += mass[m];
        groupArea += areaOf(m);
    }
    for (int i = 1; i < n; ++i) totalScore += score[i];
    const double contrast = std::min(1.0, groupMass / std::max(1.0, groupArea) / 40.0);
    const double dominance = totalScore > 0 ? bestScore / totalScore : 0.0;
    result.confidence = std::clamp(std::sqrt(contrast * dominance), 0.0, 1.0);
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
