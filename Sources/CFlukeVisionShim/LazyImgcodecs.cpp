// Why imgcodecs is loaded with dlopen instead of linked: on Debian, libopencv_imgcodecs depends
// on GDAL and through it on about 120 shared libraries (HDF5, NetCDF, Poppler, Xerces, PROJ…).
// Linking it costs every FlukeWatch process about 48 MB of resident memory at start-up —
// a third of the daemon's budget on a 2 GB board — although cameras write JPEG, which the shim
// handles with libjpeg itself (LibJPEG.cpp). So the library is opened on the first PNG or TIFF
// only, and a station that never sees one never pays for it.
//
// The two functions are looked up by their C++ (Itanium ABI) names, which are fixed by their
// declarations in opencv2/imgcodecs.hpp (OpenCV 4: cv::String is std::string); the function
// pointer types below are those declarations, so a call goes through the same ABI as a linked one.
#include "LazyImgcodecs.hpp"

#include <opencv2/core/version.hpp>

#include <dlfcn.h>

#include <cstdio>
#include <mutex>

namespace fwshim {
namespace {

using ImdecodeFunction = cv::Mat (*)(cv::InputArray, int);
using ImencodeFunction = bool (*)(const std::string &, cv::InputArray, std::vector<uchar> &, const std::vector<int> &);

struct Imgcodecs {
    ImdecodeFunction imdecode = nullptr;
    ImencodeFunction imencode = nullptr;
    std::string problem; // why it could not be loaded, empty when it was
};

const Imgcodecs &imgcodecs() {
    static Imgcodecs loaded;
    static std::once_flag once;
    std::call_once(once, [] {
        // The runtime package installs only the versioned name (…so.406 for 4.6, as Debian and
        // OpenCV's own build name it); the unversioned one comes with the -dev package.
        char versioned[64];
        std::snprintf(versioned, sizeof versioned, "libopencv_imgcodecs.so.%d%02d", CV_VERSION_MAJOR, CV_VERSION_MINOR);
        void *library = dlopen(versioned, RTLD_NOW | RTLD_LOCAL);
        if (library == nullptr) library = dlopen("libopencv_imgcodecs.so", RTLD_NOW | RTLD_LOCAL);
        if (library == nullptr) {
            const char *detail = dlerror();
            loaded.problem = std::string("OpenCV's image codecs (") + versioned + ") could not be loaded: " +
                             (detail ? detail : "not found") + "; install the libopencv-imgcodecs package";
            return;
        }
        loaded.imdecode = reinterpret_cast<ImdecodeFunction>(dlsym(library, "_ZN2cv8imdecodeERKNS_11_InputArrayEi"));
        loaded.imencode = reinterpret_cast<ImencodeFunction>(dlsym(
            library, "_ZN2cv8imencodeERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKNS_11_InputArrayERSt6vectorIhSaIhEERKSB_IiSaIiEE"));
        if (loaded.imdecode == nullptr || loaded.imencode == nullptr) {
            loaded.problem = std::string(versioned) + " lacks cv::imdecode or cv::imencode (an OpenCV built differently "
                             "from 4.x with the standard C++ library); PNG and TIFF photos cannot be read";
        }
    });
    return loaded;
}

} // namespace

cv::Mat lazy_imdecode(const cv::Mat &bytes, int flags, std::string &why) {
    const Imgcodecs &codecs = imgcodecs();
    if (codecs.imdecode == nullptr) {
        why = codecs.problem;
        return cv::Mat();
    }
    cv::Mat decoded = codecs.imdecode(bytes, flags);
    if (decoded.empty()) why = "OpenCV could not decode the image data";
    return decoded;
}

bool lazy_imencode(const std::string &extension, const cv::Mat &image, std::vector<uchar> &out,
                   const std::vector<int> &params, std::string &why) {
    const Imgcodecs &codecs = imgcodecs();
    if (codecs.imencode == nullptr) {
        why = codecs.problem;
        return false;
    }
    if (!codecs.imencode(extension, image, out, params)) {
        why = "OpenCV could not encode the image as " + extension;
        return false;
    }
    return true;
}

} // namespace fwshim
