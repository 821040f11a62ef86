/* label.c — the dialect-free parts of labels (label.h): name and color
 * checks, the case fold of a name's unique key, the server's palette, and id
 * lists as statement text.
 *
 * The fold is ours, not the database's: SQLite's lower() and NOCASE fold
 * ASCII alone and PostgreSQL's follow the database's locale, so a key folded
 * here is stored (labels.name_key) and one UNIQUE constraint decides alike in
 * both dialects.
 *
 * Threading: pure functions of their arguments; any thread.
 */
#include "store/label.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"

/* Distinct colors for the first labels of an organization, then again. */
static const char *const palette[] = {"#e53935", "#fb8c00", "#fdd835", "#43a047", "#00897b",
                                      "#1e88e5", "#3949ab", "#8e24aa", "#d81b60", "#6d4c41"};

static int is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

ch_err ch_store_label_check(const char *name, const char *color)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len > CH_LABEL_NAME_MAX)
		return CH_ERR_OUT_OF_RANGE;
	if (!ch_utf8_valid(name, len))
		return CH_ERR_BAD_JSON;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return CH_ERR_OUT_OF_RANGE;
	if (!color || !*color)
		return CH_OK;
	if (strlen(color) != CH_LABEL_COLOR_LEN || color[0] != '#')
		return CH_ERR_OUT_OF_RANGE;
	for (int i = 1; i < CH_LABEL_COLOR_LEN; i++)
		if (!is_hex(color[i]))
			return CH_ERR_OUT_OF_RANGE;
	return CH_OK;
}

/* The lower-case form of code point c (of two UTF-8 bytes), or c. */
static unsigned fold2(unsigned c)
{
	if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
	    (c >= 0x410 && c <= 0x42F))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40F)
		return c + 0x50;
	if (c == 0x178)
		return 0xFF;
	if (c == 0x3C2)
		return 0x3C3; /* final sigma */
	if (c == 0x386)
		return 0x3AC;
	if (c >= 0x388 && c <= 0x38A)
		return c + 0x25;
	if (c == 0x38C)
		return 0x3CC;
	if (c == 0x38E || c == 0x38F)
		return c + 0x3F;
	/* pairs: upper case even, lower case odd */
	if (((c >= 0x100 && c <= 0x137 && c != 0x130) || (c >= 0x14A && c <= 0x177) || (c >= 0x460 && c <= 0x481) ||
	     (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x4FF)) &&
	    !(c & 1))
		return c + 1;
	/* pairs: upper case odd, lower case even */
	if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E) || (c >= 0x4C1 && c <= 0x4CE)) && (c & 1))
		return c + 1;
	return c;
}

void ch_store_label_key(const char *name, char out[CH_LABEL_NAME_MAX + 1])
{
	size_t o = 0;
	const unsigned char *s = (const unsigned char *)name;
	while (*s && o < CH_LABEL_NAME_MAX) {
		if (*s >= 'A' && *s <= 'Z') {
			out[o++] = (char)(*s++ + 0x20);
		} else if ((*s & 0xE0) == 0xC0 && s[1] && o + 2 <= CH_LABEL_NAME_MAX) {
			/* every letter folded is two bytes and so is its lower case */
			unsigned c = fold2(((unsigned)(s[0] & 0x1F) << 6) | (s[1] & 0x3F));
			out[o++] = (char)(0xC0 | (c >> 6));
			out[o++] = (char)(0x80 | (c & 0x3F));
			s += 2;
		} else {
			out[o++] = (char)*s++;
		}
	}
	out[o] = '\0';
}

void ch_store_label_color(const char *color, int64_t n, char out[CH_LABEL_COLOR_LEN + 1])
{
	const char *c = color && *color ? color : palette[(n < 0 ? 0 : n) % (int64_t)(sizeof palette / sizeof *palette)];
	for (int i = 0; i < CH_LABEL_COLOR_LEN; i++)
		out[i] = (char)(c[i] >= 'A' && c[i] <= 'F' ? c[i] + 0x20 : c[i]);
	out[CH_LABEL_COLOR_LEN] = '\0';
}

char *ch_store_ids_text(const int64_t *ids, size_t n, char open, char close)
{
	char *s = ch_xmalloc(n * 21 + 3), *w = s; /* 20 digits and a comma each */
	*w++ = open;
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, i ? ",%lld" : "%lld", (long long)ids[i]);
	*w++ = close;
	*w = '\0';
	return s;
}

ch_err ch_store_label_ids_check(const int64_t *ids, size_t n)
{
	if (n > CH_LABELS_PER_CHAT_MAX)
		return CH_ERR_OUT_OF_RANGE;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < i; k++)
			if (ids[k] == ids[i])
				return CH_ERR_OUT_OF_RANGE;
	return CH_OK;
}
