// Integer dot products for the gallery's first pass (FlukeMatch/QuantizedRows.swift).
//
// A search over 100 000 float32 embeddings reads 100 MB and is bound by memory bandwidth; the
// same rows in int8 are a quarter of that. These loops are plain C written so that the compiler
// vectorises them for whatever CPU the package is built on (SSE2/AVX2 on x86-64, NEON on arm64).
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// out[r] = Σ_i rows[r·dimension + i] · query[i], for r in 0..<count, exact in int32
/// (|value| ≤ 127, so a dimension up to 133 000 cannot overflow).
void fw_scan_dot_i8(const int8_t *rows, size_t count, size_t dimension, const int8_t *query, int32_t *out);

#ifdef __cplusplus
}
#endif
