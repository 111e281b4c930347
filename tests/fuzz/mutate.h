/*  mutate — one way to damage msgpack for the fuzz tests: flips, hostile header bytes, huge
    counts, cuts, splices. Deterministic for a seed.  */
#ifndef MUTATE_H
#define MUTATE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint32_t
mutate_rand (uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (uint32_t) (*state >> 11);
}

/*  Write a damaged copy of in (len bytes) into out (capacity cap); returns the new length.  */
static inline size_t
mutate (const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint64_t *rng)
{
    static const uint8_t hostile [] = {
        0xdd, 0xdf, 0xdc, 0xde, 0xdb, 0xc6, 0xc1, 0xc7, 0xd4, 0xff, 0x00, 0x80, 0x8f, 0x9f,
        0xbf, 0xd9, 0xcf
    };
    size_t n = len < cap? len: cap;
    memcpy (out, in, n);
    int edits = 1 + (int) (mutate_rand (rng) % 4);
    for (int e = 0; e < edits && n > 0; e++) {
        size_t at = mutate_rand (rng) % n;
        switch (mutate_rand (rng) % 6) {
            case 0:                             //  flip a bit
                out [at] ^= (uint8_t) (1u << (mutate_rand (rng) % 8));
                break;
            case 1:                             //  a hostile header byte
                out [at] = hostile [mutate_rand (rng) % sizeof hostile];
                break;
            case 2:                             //  a huge big-endian count after it
                for (size_t i = at + 1; i < n && i < at + 5; i++)
                    out [i] = 0xff;
                break;
            case 3:                             //  cut the tail
                n = at;
                break;
            case 4:                             //  a random byte
                out [at] = (uint8_t) mutate_rand (rng);
                break;
            case 5: {                           //  duplicate a chunk (repeats keys, adds tails)
                size_t len2 = 1 + mutate_rand (rng) % 16;
                if (at + len2 <= n && n + len2 <= cap) {
                    memmove (out + at + len2, out + at, n - at);
                    n += len2;
                }
                break;
            }
        }
    }
    return n;
}

#endif
