// Why not OpenCV's imgcodecs for JPEG, the only format cameras write:
// - memory: libopencv_imgcodecs on Debian pulls in GDAL and about 120 more shared libraries,
//   which cost the daemon about 48 MB of resident memory for nothing (a board has 2-8 GB);
//   with JPEG handled here, imgcodecs is only loaded for a PNG or TIFF (see LazyImgcodecs.cpp);
// - speed: for a 12 MP photo decoded at 1/4, cv::imdecode costs about 10% more than libjpeg
//   itself, on the largest share of a photo's processing.
// The pixels are the same: OpenCV uses this library with these settings (BGR output, the default
// IDCT and upsampling), and a test compares them.
//
// libjpeg reports fatal errors through error_exit, which must not return; the usual longjmp
// back here is safe because, although this file is compiled as C++ (the target's flags), it is
// written as C: every object between setjmp and longjmp is trivially destructible, and the
// decompressor, the only thing that owns resources, is destroyed after the jump.
#include "LibJPEG.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include <jpeglib.h>
}

struct fw_jpeg_error {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char *message;
    size_t capacity;
};

static void fw_jpeg_error_exit(j_common_ptr info) {
    struct fw_jpeg_error *error = (struct fw_jpeg_error *)info->err;
    if (error->message != NULL && error->capacity > 0) {
        char text[JMSG_LENGTH_MAX];
        (*info->err->format_message)(info, text);
        snprintf(error->message, error->capacity, "libjpeg: %s", text);
    }
    longjmp(error->jump, 1);
}

// Warnings (corrupt data that libjpeg works around) stay silent, as in OpenCV: truncation and
// damage are judged before decoding (ImageInspector), and the daemon logs what it quarantines.
static void fw_jpeg_output_message(j_common_ptr info) { (void)info; }

// The error manager both directions use: fatal errors jump back with their text in `message`.
static struct jpeg_error_mgr *fw_jpeg_errors(struct fw_jpeg_error *error, char *message, size_t capacity) {
    struct jpeg_error_mgr *manager = jpeg_std_error(&error->manager);
    manager->error_exit = fw_jpeg_error_exit;
    manager->output_message = fw_jpeg_output_message;
    error->message = message;
    error->capacity = capacity;
    return manager;
}

int fw_jpeg_decode_scaled(const uint8_t *bytes, size_t length, int denominator, fw_jpeg_allocate allocate,
                          void *context, char *message, size_t message_capacity) {
    struct jpeg_decompress_struct info;
    struct fw_jpeg_error error;
    memset(&info, 0, sizeof info);
    info.err = fw_jpeg_errors(&error, message, message_capacity);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        return FW_JPEG_FAILED;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, (const unsigned char *)bytes, (unsigned long)length);
    if (jpeg_read_header(&info, 1) != JPEG_HEADER_OK) {
        snprintf(message, message_capacity, "libjpeg: no image in the data");
        jpeg_destroy_decompress(&info);
        return FW_JPEG_FAILED;
    }
    if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&info);
        return FW_JPEG_UNSUPPORTED;
    }
    info.scale_num = 1;
    info.scale_denom = (unsigned int)(denominator >= 1 ? denominator : 1);
    info.out_color_space = JCS_EXT_BGR;
    jpeg_start_decompress(&info);
    uint8_t *pixels = allocate(context, (int)info.output_width, (int)info.output_height);
    if (pixels == NULL) {
        snprintf(message, message_capacity, "out of memory for a %ux%u image", info.output_width, info.output_height);
        jpeg_destroy_decompress(&info);
        return FW_JPEG_FAILED;
    }
    const size_t stride = (size_t)info.output_width * 3;
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + (size_t)info.output_scanline * stride;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return FW_JPEG_OK;
}

int fw_jpeg_encode(const uint8_t *bgr, int width, int height, size_t stride, int quality, uint8_t **out,
                   size_t *out_length, char *message, size_t message_capacity) {
    struct jpeg_compress_struct info;
    struct fw_jpeg_error error;
    memset(&info, 0, sizeof info);
    info.err = fw_jpeg_errors(&error, message, message_capacity);
    unsigned char *buffer = NULL;
    unsigned long length = 0;
    *out = NULL;
    *out_length = 0;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        free(buffer);
        return FW_JPEG_FAILED;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, &buffer, &length);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = 3;
    info.in_color_space = JCS_EXT_BGR;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality < 1 ? 1 : quality > 100 ? 100 : quality, 1);
    jpeg_start_compress(&info, 1);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(bgr + (size_t)info.next_scanline * stride);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *out = buffer;
    *out_length = (size_t)length;
    return FW_JPEG_OK;
}
