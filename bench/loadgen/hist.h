/* Log-linear latency histogram (HdrHistogram-like): values below 256 µs are
 * exact, above that each power of two is split into 128 buckets, so any
 * reported value is within 1/128 (< 0.8 %) of the truth.  Fixed size, so
 * workers can ship it over a pipe and the parent can add them up; no sorting
 * of millions of samples. */
#ifndef LOADGEN_HIST_H
#define LOADGEN_HIST_H

#include <stdint.h>

#define HIST_SUB 128
#define HIST_BUCKETS (HIST_SUB * 40)

typedef struct {
	uint64_t n[HIST_BUCKETS];
	uint64_t count;
	uint64_t max;
} hist;

static inline int hist_index(uint64_t v)
{
	if (v < 2 * HIST_SUB)
		return (int)v;
	int msb = 63 - __builtin_clzll(v);
	int shift = msb - 7; /* v >> shift lands in [128, 256) */
	int i = HIST_SUB * shift + (int)(v >> shift);
	return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

/* The middle of bucket i, the value a percentile falling in it reports. */
static inline uint64_t hist_value(int i)
{
	if (i < 2 * HIST_SUB)
		return (uint64_t)i;
	int shift = i / HIST_SUB - 1;
	uint64_t lo = (uint64_t)(i - HIST_SUB * shift) << shift;
	return lo + ((1ull << shift) >> 1);
}

static inline void hist_add(hist *h, uint64_t v)
{
	h->n[hist_index(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

static inline void hist_merge(hist *into, const hist *h)
{
	for (int i = 0; i < HIST_BUCKETS; i++)
		into->n[i] += h->n[i];
	into->count += h->count;
	if (h->max > into->max)
		into->max = h->max;
}

/* Value at quantile q (0..1); 0 when empty. */
static inline uint64_t hist_quantile(const hist *h, double q)
{
	if (!h->count)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)h->count);
	if (rank >= h->count)
		rank = h->count - 1;
	uint64_t seen = 0;
	for (int i = 0; i < HIST_BUCKETS; i++) {
		seen += h->n[i];
		if (seen > rank) {
			uint64_t v = hist_value(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

#endif
