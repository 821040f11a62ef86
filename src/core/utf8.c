/* utf8.c — cutting text on a character boundary and validating it (utf8.h).
 * Threading: pure functions, safe from any thread. */
#include "core/utf8.h"

size_t ch_utf8_prefix(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	/* s[n] is the first byte left out: while it continues a sequence, the
	 * sequence started inside the prefix and must go too. */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* Length of the sequence that lead byte c starts and the smallest and largest
 * allowed second byte (they rule out overlong forms, surrogates and code
 * points past U+10FFFF); 0 for a byte that cannot start a sequence. */
static int seq_len(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF) {
		if (c == 0xE0)
			*lo = 0xA0;
		else if (c == 0xED)
			*hi = 0x9F;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (c == 0xF0)
			*lo = 0x90;
		else if (c == 0xF4)
			*hi = 0x8F;
		return 4;
	}
	return 0;
}

int ch_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c < 0x80) {
			if (!c)
				return 0;
			i++;
			continue;
		}
		unsigned char lo, hi;
		int n = seq_len(c, &lo, &hi);
		if (!n || len - i < (size_t)n || p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (int k = 2; k < n; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				return 0;
		i += (size_t)n;
	}
	return 1;
}
