/* mention.c — '@name' mentions of a private note (see mention.h).
 *
 * Names and the text are compared after a simple case fold of the scripts
 * operators' names are written in (anything else compares as is), byte by
 * byte: the fold keeps each code point's UTF-8 length.
 * Threading: pure; any thread. */
#include "chat/mention.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* Decodes one code point of valid UTF-8 at s; *len gets its byte length. */
static uint32_t decode(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0 && s[1]) {
		*len = 2;
		return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
	}
	if ((s[0] & 0xF0) == 0xE0 && s[1] && s[2]) {
		*len = 3;
		return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
	}
	if ((s[0] & 0xF8) == 0xF0 && s[1] && s[2] && s[3]) {
		*len = 4;
		return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
		       ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
	}
	*len = 1; /* not valid UTF-8: compared byte by byte */
	return s[0];
}

/* Lower case of the letters this folds; every other code point is itself. */
static uint32_t fold(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 0x20;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7) /* Latin-1 capitals (not ×) */
		return c + 0x20;
	if (c == 0x178) /* Ÿ */
		return 0xFF;
	if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17F) {
		/* Latin Extended-A pairs capital/small; the pairs shift parity at U+0139..U+0148 and U+0179..U+017E */
		int odd_capital = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
		return (c % 2 == (odd_capital ? 1u : 0u)) ? c + 1 : c;
	}
	if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) /* Greek capitals */
		return c + 0x20;
	if (c >= 0x410 && c <= 0x42F) /* Cyrillic А..Я */
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40F) /* Cyrillic Ѐ..Џ */
		return c + 0x50;
	return c;
}

/* Whether a code point is a letter or digit a name could run on into. */
static int wordish(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
	return (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x370 && c <= 0x3FF) ||
	       (c >= 0x400 && c <= 0x52F);
}

/* The code point that ends just before position i of s (0 at the start). */
static uint32_t before(const unsigned char *s, size_t i)
{
	if (i == 0)
		return 0;
	size_t k = i - 1, len;
	while (k > 0 && (s[k] & 0xC0) == 0x80 && i - k < 4)
		k--;
	return decode(s + k, &len);
}

/* Folds n bytes of s into out (n bytes): every code point fold() changes
 * keeps its UTF-8 length (ASCII to ASCII, the others two bytes to two), so a
 * byte of out stands where it stood in s. */
static void fold_bytes(const unsigned char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n;) {
		size_t len;
		uint32_t c = decode(s + i, &len), f = fold(c);
		if (len > n - i)
			len = n - i;
		memcpy(out + i, s + i, len);
		if (f != c && f < 0x80)
			out[i] = (unsigned char)f;
		else if (f != c && len == 2) {
			out[i] = (unsigned char)(0xC0 | (f >> 6));
			out[i + 1] = (unsigned char)(0x80 | (f & 0x3F));
		}
		i += len;
	}
}

typedef struct key {
	const unsigned char *f; /* the folded name */
	size_t len;
	size_t k; /* its index in names */
} key;

/* Folded bytes in order, a prefix before its extensions, then the index:
 * equal names give the first one. */
static int cmp_key(const void *a, const void *b)
{
	const key *x = a, *y = b;
	int c = memcmp(x->f, y->f, x->len < y->len ? x->len : y->len);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

/* In keys[lo, hi), all longer than at and equal before it, the first whose
 * byte at `at` is not below c (above: when above is set). */
static size_t bound(const key *keys, size_t lo, size_t hi, size_t at, unsigned char c, int above)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keys[mid].f[at] < c || (above && keys[mid].f[at] == c))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The longest name that the folded text at ft (original bytes t) begins with
 * and that does not run on into a letter or digit: its index in keys and its
 * length in *len, or -1. Walks the sorted names once along the text: each
 * byte narrows the range of names that still match, so a mention costs its
 * length times log n, whatever the number of names. *steps counts the bytes
 * walked. */
static long longest(const key *keys, size_t n, const unsigned char *t, const unsigned char *ft, size_t *len,
                    size_t *steps)
{
	size_t lo = 0, hi = n, at = 0;
	long best = -1;
	for (;;) {
		if (lo < hi && keys[lo].len == at) { /* a whole name: the shortest sorts first */
			size_t l;
			if (!t[at] || !wordish(decode(t + at, &l))) {
				best = (long)lo;
				*len = at;
			}
			while (lo < hi && keys[lo].len == at)
				lo++;
		}
		if (lo >= hi || !ft[at])
			return best;
		lo = bound(keys, lo, hi, at, ft[at], 0);
		hi = bound(keys, lo, hi, at, ft[at], 1);
		at++;
		++*steps;
	}
}

size_t ch_mentions_find(const char *text, const ch_mention_name *names, size_t n, int64_t *out, size_t max)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t tn = strlen(text), nk = 0, found = 0, steps = 0;
	key *keys = ch_xcalloc(n ? n : 1, sizeof *keys);
	unsigned char *ft = ch_xmalloc(tn + 1), *fn = NULL;
	size_t total = 0;
	for (size_t k = 0; k < n; k++)
		total += names[k].name ? strlen(names[k].name) + 1 : 0;
	fn = ch_xmalloc(total ? total : 1);
	fold_bytes(s, tn, ft);
	ft[tn] = '\0';
	for (size_t k = 0, at = 0; k < n; k++) {
		size_t l = names[k].name ? strlen(names[k].name) : 0;
		if (!l)
			continue; /* an empty name never matches */
		fold_bytes((const unsigned char *)names[k].name, l, fn + at);
		fn[at + l] = '\0';
		keys[nk++] = (key){fn + at, l, k};
		at += l + 1;
	}
	qsort(keys, nk, sizeof *keys, cmp_key);
	for (size_t i = 0; s[i] && found < max && steps < CH_MENTION_STEPS_MAX; i++) {
		if (s[i] != '@' || wordish(before(s, i)))
			continue;
		size_t len = 0;
		long best = longest(keys, nk, s + i + 1, ft + i + 1, &len, &steps);
		if (best < 0)
			continue;
		int64_t id = names[keys[best].k].id;
		int seen = 0;
		for (size_t k = 0; k < found && !seen; k++)
			seen = out[k] == id;
		if (!seen)
			out[found++] = id;
		i += len; /* the name's bytes hold no mention of their own */
	}
	free(keys);
	free(ft);
	free(fn);
	return found;
}
