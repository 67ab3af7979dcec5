// The water and sky a fluke stands out from (SeaAndSky.hpp): steps 2-4 of the finder described at
// the top of FlukeFinder.cpp.
#include "SeaAndSky.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace flukefinder {

namespace {

// Weight of "brighter than the water" against "darker" in the distance.
constexpr float kBrightWeight = 0.6f;

} // namespace

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

} // namespace flukefinder
