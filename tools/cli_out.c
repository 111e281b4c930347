/*  cli_out — the output filter of the command line.  */
#define _GNU_SOURCE                     //  fopencookie
#include "cli_out.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

//  A filtered stream: the fd it writes to, and the bytes of a UTF-8 character cut between
//  two writes.
typedef struct {
    int fd;                     //  where the filtered bytes go
    unsigned char held [4];     //  the start of a character the last write ended in
    size_t nheld;               //  its bytes
} s_stream_t;

//  Bytes a UTF-8 character that starts with lead has, or 0 for a byte that cannot start one.
static size_t
s_utf8_length (unsigned char lead)
{
    return lead < 0x80? 1: lead >= 0xc2 && lead <= 0xdf? 2: lead >= 0xe0 && lead <= 0xef? 3:
           lead >= 0xf0 && lead <= 0xf4? 4: 0;
}

//  Filter bytes into out (at least 10 bytes a byte of input). Keeps an incomplete character
//  at the end in held. Returns the bytes written to out.
static size_t
s_filter (s_stream_t *s, const unsigned char *in, size_t len, char *out)
{
    size_t o = 0, i = 0;
    unsigned char ch [8];
    while (i < len || s->nheld) {
        //  Gather one character: what was held, then the input.
        size_t n = 0;
        while (n < s->nheld) {
            ch [n] = s->held [n];
            n++;
        }
        s->nheld = 0;
        if (n == 0 && i < len)
            ch [n++] = in [i++];
        if (n == 0)
            break;
        size_t want = s_utf8_length (ch [0]);
        while (want && n < want && i < len && (in [i] & 0xc0) == 0x80)
            ch [n++] = in [i++];
        if (want && n < want && i == len) {
            memcpy (s->held, ch, n);    //  the rest comes with the next write
            s->nheld = n;
            break;
        }
        uint32_t cp = ch [0];
        bool valid = want && n == want;
        if (valid && want > 1) {
            cp = ch [0] & (0xff >> (want + 1));
            for (size_t k = 1; k < n; k++)
                cp = (cp << 6) | (ch [k] & 0x3f);
            valid = cp >= (want == 2? 0x80u: want == 3? 0x800u: 0x10000u) && cp <= 0x10ffff
                 && !(cp >= 0xd800 && cp <= 0xdfff);
        }
        if (!valid) {
            //  Not UTF-8: the first byte shown, the rest looked at again.
            o += (size_t) sprintf (out + o, "\\x%02x", ch [0]);
            if (n > 1) {
                memcpy (s->held, ch + 1, n - 1);
                s->nheld = n - 1;
            }
            continue;
        }
        if ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7f)
            o += (size_t) sprintf (out + o, "\\x%02x", (unsigned) cp);
        else
        if (cp >= 0x80 && cp <= 0x9f)
            o += (size_t) sprintf (out + o, "\\u%04x", (unsigned) cp);
        else {
            memcpy (out + o, ch, n);
            o += n;
        }
    }
    return o;
}

static void
s_write_all (int fd, const char *bytes, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, bytes, len);
        if (n <= 0)
            return;                     //  a closed pipe: nothing more can be shown
        bytes += n;
        len -= (size_t) n;
    }
}

static ssize_t
s_cookie_write (void *cookie, const char *buf, size_t size)
{
    s_stream_t *s = cookie;
    char out [4096 * 10];
    size_t done = 0;
    while (done < size) {
        size_t chunk = size - done > 4096? 4096: size - done;
        size_t n = s_filter (s, (const unsigned char *) buf + done, chunk, out);
        s_write_all (s->fd, out, n);
        done += chunk;
    }
    return (ssize_t) size;
}

static FILE *
s_protect (int fd, int mode)
{
    static s_stream_t streams [2];
    s_stream_t *s = &streams [fd == 1? 0: 1];
    s->fd = fd;
    cookie_io_functions_t io = { .write = s_cookie_write };
    FILE *f = fopencookie (s, "w", io);
    if (f)
        setvbuf (f, NULL, mode, 0);
    return f;
}

void
cli_out_protect (void)
{
    fflush (stdout);
    fflush (stderr);
    FILE *out = s_protect (1, isatty (1)? _IOLBF: _IOFBF);
    FILE *err = s_protect (2, _IONBF);
    if (out)
        stdout = out;
    if (err)
        stderr = err;
}

void
cli_out_write (FILE *out, const char *bytes, size_t len)
{
    s_stream_t s = { 0 };
    char buf [4096 * 10];
    for (size_t done = 0; done < len; ) {
        size_t chunk = len - done > 4096? 4096: len - done;
        size_t n = s_filter (&s, (const unsigned char *) bytes + done, chunk, buf);
        fwrite (buf, 1, n, out);
        done += chunk;
    }
    if (s.nheld)                        //  a character cut off at the very end
        for (size_t k = 0; k < s.nheld; k++)
            fprintf (out, "\\x%02x", s.held [k]);
}
