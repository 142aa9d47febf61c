// A whole-file JPEG decoder over libjpeg(-turbo) that never exits and never longjmps into Swift.
// libjpeg reports errors by calling error_exit (which by default calls exit()) and is meant to be
// escaped with longjmp; Swift frames cannot be jumped over safely, so every libjpeg call happens here,
// inside setjmp, and failures come back as a status plus libjpeg's own message.
#ifndef CJPEG_H
#define CJPEG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// libjpeg's messages are at most JMSG_LENGTH_MAX (200) bytes; the buffer is NUL-terminated.
#define CJ_MESSAGE_SIZE 200

typedef struct {
    uint32_t width;
    uint32_t height;
    /// Colour components in the file: 1 (grayscale), 3 (YCbCr or RGB), 4 (CMYK or YCCK).
    int32_t components;
    /// Whether the scans are progressive (informative).
    int32_t progressive;
} cj_info;

/// Parses the headers up to the first scan (no pixel data, no allocation proportional to the image).
/// Returns 0 on success; otherwise non-zero with the reason in `message`.
int cj_read_info(const uint8_t *data, size_t size, cj_info *info, char message[CJ_MESSAGE_SIZE]);

/// Decodes the whole image into `rgb` (exactly width * height * 3 bytes, rows top to bottom, R G B):
/// grayscale is replicated into the three channels, CMYK/YCCK is taken as Adobe-inverted CMYK and
/// converted as Pillow's `convert("RGB")` does; nothing else (no colour management, no EXIF rotation).
/// Every libjpeg warning about the data (premature end of file, corrupt Huffman/arithmetic codes, missing
/// restart markers, extraneous bytes) is an error: libjpeg would otherwise pad the image with gray.
/// Returns 0 on success; otherwise non-zero with the reason in `message`.
int cj_decode_rgb(const uint8_t *data, size_t size, uint8_t *rgb, size_t rgb_size,
                  char message[CJ_MESSAGE_SIZE]);

/// The libjpeg-turbo version the target was compiled against ("2.1.5"), or "libjpeg <N>" otherwise.
const char *cj_library_version(void);

#ifdef __cplusplus
}
#endif

#endif
