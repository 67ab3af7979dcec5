// OpenCV's imgcodecs, loaded only when a photo is not a JPEG (PNG, TIFF, a CMYK JPEG) or a
// lossless file is written. See LazyImgcodecs.cpp for why.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace fwshim {

/// cv::imdecode(bytes, flags); an empty Mat with `why` set when it fails or imgcodecs is missing.
cv::Mat lazy_imdecode(const cv::Mat &bytes, int flags, std::string &why);

/// cv::imencode(extension, image, out, params); false with `why` set on failure.
bool lazy_imencode(const std::string &extension, const cv::Mat &image, std::vector<uchar> &out,
                   const std::vector<int> &params, std::string &why);

} // namespace fwshim
