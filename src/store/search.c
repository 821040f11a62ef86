/* search.c — the backend-independent parts of a chat search (store.h,
 * search.h): the bounds of the user's words, the phone-number form of a
 * search, and the snippet's final form. Each backend turns the words into its
 * own query (sqlite/search.c, postgres/search.c) and highlights with its own
 * engine.
 *
 * Threading: pure functions, any thread.
 */
#include <string.h>

#include "core/utf8.h"
#include "store/search.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

ch_err ch_store_search_check(const char *q)
{
	if (!q)
		return CH_OK;
	size_t n = strlen(q);
	if (n > CH_SEARCH_MAX_BYTES)
		return CH_ERR_OUT_OF_RANGE;
	if (!ch_utf8_valid(q, n))
		return CH_ERR_BAD_JSON;
	int words = 0;
	for (size_t i = 0; i < n; i++)
		if (!is_space(q[i]) && (i == 0 || is_space(q[i - 1])))
			words++;
	return words > CH_SEARCH_MAX_WORDS ? CH_ERR_OUT_OF_RANGE : CH_OK;
}

size_t ch_store_search_digits(const char *q, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (const char *p = q; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n + 1 >= cap)
				return out[0] = '\0', 0;
			out[n++] = *p;
		} else if (!is_space(*p) && !strchr("+-()./", *p)) {
			return out[0] = '\0', 0;
		}
	}
	out[n] = '\0';
	if (n < 3)
		return out[0] = '\0', 0;
	return n;
}

/* Room kept at the end of a cut snippet: a closing mark and "…". */
#define TAIL 4

void ch_store_search_snippet(ch_chat_match *out, const char *text)
{
	const size_t mark = sizeof CH_SEARCH_OPEN - 1;
	char *w = out->snippet;
	size_t len = 0;
	int open = 0;
	const char *p = text ? text : "";
	while (*p) {
		if (!strncmp(p, CH_SEARCH_OPEN, mark) || !strncmp(p, CH_SEARCH_CLOSE, mark)) {
			int opening = !strncmp(p, CH_SEARCH_OPEN, mark);
			p += mark;
			if (opening == open) /* unbalanced: keep the marks paired */
				continue;
			if (len + 1 + TAIL > CH_SNIPPET_MAX)
				break;
			w[len++] = opening ? '\x02' : '\x03';
			open = opening;
			continue;
		}
		if (*p == '\x02' || *p == '\x03') {
			p++;
			continue;
		}
		/* one whole character */
		size_t k = 1;
		while (((unsigned char)p[k] & 0xc0) == 0x80)
			k++;
		if (len + k + TAIL > CH_SNIPPET_MAX)
			break;
		memcpy(w + len, p, k);
		len += k;
		p += k;
	}
	if (open)
		w[len++] = '\x03';
	if (*p) {
		memcpy(w + len, "\xe2\x80\xa6", 3); /* … */
		len += 3;
	}
	w[len] = '\0';
}

void ch_store_search_whole(ch_chat_match *out, const char *value)
{
	size_t n = strlen(value);
	n = ch_utf8_prefix(value, n, CH_SNIPPET_MAX - 2);
	out->snippet[0] = '\x02';
	memcpy(out->snippet + 1, value, n);
	out->snippet[n + 1] = '\x03';
	out->snippet[n + 2] = '\0';
}
