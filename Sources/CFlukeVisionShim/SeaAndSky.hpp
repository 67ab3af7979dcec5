// The water and sky a fluke stands out from: the horizon, a background model of each, and how far
// every pixel is from it (saliency). Internal to CFlukeVisionShim; FlukeFinder.cpp uses it.
#pragma once

#include <opencv2/core.hpp>

namespace flukefinder {

// Lab distance (8-bit units) from which a pixel is plainly not sea or sky; saliency is clipped
// there before thresholding and scoring, so that white markings do not outweigh a dark body.
constexpr double kClip = 64.0;

// A straight horizon, y = y0 + slope * (x - width / 2) in working pixels, or none.
struct Horizon {
    bool found = false;
    double y0 = 0;
    double slope = 0;
    double at(int x, int width) const { return y0 + slope * (x - width / 2.0); }
};

// The horizon is the one edge that crosses the whole photo, nearly level, with the sky lighter
// than the sea (see SeaAndSky.cpp for how it is told from a fluke's edge or a shore).
Horizon find_horizon(const cv::Mat &lightness);

// Median of each channel of the 8-bit Lab pixels that `mask` marks.
cv::Vec3f masked_median(const cv::Mat &lab8, const cv::Mat &mask);

// Sea (or sky) as a smooth surface fitted to the pixels `mask` marks, written into `background`
// where `region` is set; `fallback` where there is too little to fit.
void fit_surface(const cv::Mat &lab, const cv::Mat &mask, const cv::Mat &region, cv::Vec3f fallback,
                 cv::Mat &background);

// How far every pixel is from the background, in Lab (8-bit units), chroma weighted by `chroma`,
// after smoothing the signed difference by `sigma`; pixels in `ignore` count as background.
// `lightnessDifference` receives the smoothed signed lightness difference (negative: darker).
cv::Mat distance_from(const cv::Mat &lab, const cv::Mat &background, float chroma, double sigma,
                      const cv::Mat &ignore, cv::Mat &lightnessDifference);

// Otsu's threshold of `values` clipped to 0..maxValue.
double otsu_threshold(const cv::Mat &values, double maxValue);

// Fills the holes of a binary mask (a white underside ringed by its dark outline).
void fill_holes(cv::Mat &mask);

} // namespace flukefinder
