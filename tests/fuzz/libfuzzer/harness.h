/*  harness.h — what the libFuzzer harnesses share: the input as NUL-separated C strings.  */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/*  Copy data into a NUL-terminated block (freed by the caller) and point parts [0..max-1] at
    its NUL-separated pieces; pieces beyond the input are NULL. Returns the block.  */
static inline char *
h_split (const uint8_t *data, size_t size, const char **parts, int max)
{
    char *text = (char *) malloc (size + 1);
    if (size)
        memcpy (text, data, size);
    text [size] = 0;
    const char *end = text + size;
    const char *at = text;
    for (int i = 0; i < max; i++) {
        parts [i] = at <= end? at: NULL;
        if (at <= end)
            at += strlen (at) + 1;
    }
    return text;
}

#endif
