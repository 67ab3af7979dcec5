// The definition behind the opaque `fw_image` of FlukeVisionShim.h, shared by the shim's files.
#pragma once
#include <opencv2/core.hpp>

struct fw_image {
    cv::Mat mat;
};
