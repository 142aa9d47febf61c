// libjpeg(-turbo) decoding with every error caught here (see include/cjpeg.h for why).
#include "cjpeg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

// The standard error manager plus where to jump and where to write the message. libjpeg hands the
// error manager back as `cinfo->err`, so the struct must start with `pub`.
struct cj_error {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *message;
};

static void cj_error_exit(j_common_ptr cinfo) {
    struct cj_error *error = (struct cj_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(error->message, CJ_MESSAGE_SIZE, "%s", text);
    longjmp(error->jump, 1);
}

// Warnings (level -1) normally let libjpeg carry on with gray or garbage pixels: a truncated file becomes
// a gray bottom half. For training data that is worse than failing, so only the two warnings about
// metadata (which leave every pixel intact) are let through. Trace messages (level >= 0) are ignored.
static void cj_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) {
        return;
    }
    switch (cinfo->err->msg_code) {
    case JWRN_JFIF_MAJOR:   // unknown JFIF revision number
    case JWRN_ADOBE_XFORM:  // unknown Adobe transform: libjpeg guesses from the component count, as Pillow does
        return;
    default:
        cj_error_exit(cinfo);
    }
}

// Never print to stderr.
static void cj_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void cj_install(struct jpeg_decompress_struct *cinfo, struct cj_error *error, char *message) {
    memset(cinfo, 0, sizeof *cinfo);  // so that jpeg_destroy_decompress is safe even if create fails
    cinfo->err = jpeg_std_error(&error->pub);
    error->pub.error_exit = cj_error_exit;
    error->pub.emit_message = cj_emit_message;
    error->pub.output_message = cj_output_message;
    error->message = message;
    message[0] = '\0';
}

static int cj_fail(struct jpeg_decompress_struct *cinfo, char *message, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, CJ_MESSAGE_SIZE, format, arguments);
    va_end(arguments);
    jpeg_destroy_decompress(cinfo);
    return 1;
}

int cj_read_info(const uint8_t *data, size_t size, cj_info *info, char message[CJ_MESSAGE_SIZE]) {
    struct jpeg_decompress_struct cinfo;
    struct cj_error error;
    cj_install(&cinfo, &error, message);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    (void)jpeg_read_header(&cinfo, TRUE);  // TRUE: a tables-only stream is an error
    info->width = cinfo.image_width;
    info->height = cinfo.image_height;
    info->components = cinfo.num_components;
    info->progressive = cinfo.progressive_mode ? 1 : 0;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

// Pillow's cmyk2rgb (libImaging/Convert.c) on Adobe-inverted samples: c = 255 - stored, and
// 255 - k = stored k; each channel is (255 - k) - (c * (255 - k)) / 255 with Pillow's rounding division.
static inline uint8_t cj_cmyk_channel(uint8_t stored, uint8_t stored_k) {
    int c = 255 - stored;
    int nk = stored_k;
    int t = c * nk + 128;
    return (uint8_t)(nk - (((t >> 8) + t) >> 8));
}

int cj_decode_rgb(const uint8_t *data, size_t size, uint8_t *rgb, size_t rgb_size,
                  char message[CJ_MESSAGE_SIZE]) {
    struct jpeg_decompress_struct cinfo;
    struct cj_error error;
    cj_install(&cinfo, &error, message);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    (void)jpeg_read_header(&cinfo, TRUE);
    switch (cinfo.num_components) {
    case 1: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case 3: cinfo.out_color_space = JCS_RGB; break;
    case 4: cinfo.out_color_space = JCS_CMYK; break;  // libjpeg turns YCCK into CMYK
    default: return cj_fail(&cinfo, message, "unsupported JPEG with %d colour components", cinfo.num_components);
    }
    // Pillow's decoding settings are libjpeg's defaults (islow IDCT, fancy upsampling): nothing to set.
    size_t width = cinfo.image_width, height = cinfo.image_height;
    if (width == 0 || height == 0 || width > SIZE_MAX / 3 / height || rgb_size != width * height * 3) {
        return cj_fail(&cinfo, message, "output buffer of %zu bytes does not fit %zux%zu RGB", rgb_size, width, height);
    }
    (void)jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != width || cinfo.output_height != height) {
        return cj_fail(&cinfo, message, "decoder output %ux%u differs from the header's %zux%zu",
                       cinfo.output_width, cinfo.output_height, width, height);
    }
    // Scratch row for grayscale/CMYK, from libjpeg's own pool: freed by jpeg_destroy even after a longjmp.
    JSAMPARRAY scratch = NULL;
    if (cinfo.out_color_space != JCS_RGB) {
        scratch = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                             (JDIMENSION)(width * (size_t)cinfo.output_components), 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *out = rgb + (size_t)cinfo.output_scanline * width * 3;
        JSAMPROW row = cinfo.out_color_space == JCS_RGB ? out : scratch[0];
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            return cj_fail(&cinfo, message, "decoder stopped at row %u", cinfo.output_scanline);
        }
        if (cinfo.out_color_space == JCS_GRAYSCALE) {
            for (size_t x = 0; x < width; x++) {
                out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = row[x];
            }
        } else if (cinfo.out_color_space == JCS_CMYK) {
            for (size_t x = 0; x < width; x++) {
                const uint8_t *p = row + 4 * x;
                out[3 * x] = cj_cmyk_channel(p[0], p[3]);
                out[3 * x + 1] = cj_cmyk_channel(p[1], p[3]);
                out[3 * x + 2] = cj_cmyk_channel(p[2], p[3]);
            }
        }
    }
    (void)jpeg_finish_decompress(&cinfo);  // reads to EOI: a file cut just before it still fails
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

#define CJ_STRING(x) #x
#define CJ_EXPAND(x) CJ_STRING(x)

const char *cj_library_version(void) {
#ifdef LIBJPEG_TURBO_VERSION
    return CJ_EXPAND(LIBJPEG_TURBO_VERSION);
#else
    return "libjpeg " CJ_EXPAND(JPEG_LIB_VERSION);
#endif
}
