// The shim's one rule, in one place: a C++ exception never unwinds into Swift. Every entry
// point runs its body through `guarded`, which turns any exception into an error message and a
// non-zero return.
#pragma once
#include "FlukeVisionShim.h"

#include <opencv2/core.hpp>

#include <cstdio>
#include <exception>

namespace fwshim {

inline void set_error(fw_error *error, const char *message) {
    if (error != nullptr) std::snprintf(error->message, sizeof(error->message), "%s", message);
}

/// Runs `body` (returning 0 on success); any exception becomes `error` and -1. `where` names
/// the part of the shim in the message of an exception of unknown type.
template <typename Body>
int guarded(fw_error *error, const char *where, Body body) {
    try {
        return body();
    } catch (const cv::Exception &e) {
        set_error(error, e.what());
    } catch (const std::exception &e) {
        set_error(error, e.what());
    } catch (...) {
        char message[128];
        std::snprintf(message, sizeof(message), "unknown C++ exception in the %s", where);
        set_error(error, message);
    }
    return -1;
}

} // namespace fwshim
