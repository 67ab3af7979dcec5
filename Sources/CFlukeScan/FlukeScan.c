#include "FlukeScan.h"

// On x86-64 the baseline (SSE2) has no cheap int8 widening, and this loop is compute-bound there
// (6.7 ms for 100 000 × 256 on this machine); an AVX2 clone, chosen once at load time by the
// dynamic linker, halves that. arm64 always has NEON, which the baseline build uses.
#if defined(__x86_64__) && defined(__clang__)
#define FW_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FW_CLONES
#endif

FW_CLONES
void fw_scan_dot_i8(const int8_t *restrict rows, size_t count, size_t dimension, const int8_t *restrict query,
                    int32_t *restrict out) {
    for (size_t r = 0; r < count; ++r) {
        const int8_t *restrict row = rows + r * dimension;
        // Products of two int8 fit in int16 with room for one pairwise add (2 · 127² < 2^15):
        // written this way the compiler uses the widening multiply-add instructions.
        int32_t sum = 0;
        for (size_t i = 0; i < dimension; ++i) sum += (int32_t)((int16_t)row[i] * (int16_t)query[i]);
        out[r] = sum;
    }
}
