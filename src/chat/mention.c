/* mention.c — '@name' mentions of a private note (see mention.h).
 *
 * Names are compared code point by code point after a simple case fold of
 * the scripts operators' names are written in; anything else compares as is.
 * Threading: pure; any thread. */
#include "chat/mention.h"

#include <string.h>

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

/* How many bytes of t the name matches (folded), 0 when it does not match
 * there or runs on into a letter or digit. */
static size_t match(const unsigned char *t, const unsigned char *name)
{
	size_t i = 0, j = 0;
	while (name[j]) {
		size_t a, b;
		if (!t[i])
			return 0;
		uint32_t ct = decode(t + i, &a), cn = decode(name + j, &b);
		if (fold(ct) != fold(cn))
			return 0;
		i += a;
		j += b;
	}
	size_t len;
	if (t[i] && wordish(decode(t + i, &len)))
		return 0;
	return i;
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

size_t ch_mentions_find(const char *text, const ch_mention_name *names, size_t n, int64_t *out, size_t max)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t found = 0;
	for (size_t i = 0; s[i] && found < max; i++) {
		if (s[i] != '@' || wordish(before(s, i)))
			continue;
		size_t best = 0, best_len = 0;
		for (size_t k = 0; k < n; k++) {
			size_t m = names[k].name && names[k].name[0] ? match(s + i + 1, (const unsigned char *)names[k].name)
			                                             : 0;
			if (m > best_len) {
				best_len = m;
				best = k;
			}
		}
		if (!best_len)
			continue;
		int seen = 0;
		for (size_t k = 0; k < found && !seen; k++)
			seen = out[k] == names[best].id;
		if (!seen)
			out[found++] = names[best].id;
		i += best_len; /* the name's bytes hold no mention of their own */
	}
	return found;
}
