/* buf.c — allocation wrappers and growable buffers. No shared state. */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "chathub: out of memory allocating %zu bytes\n", n);
	abort();
}

void *ch_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *ch_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *ch_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *ch_xstrndup(const char *s, size_t n)
{
	char *d = ch_xmalloc(n + 1);
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *ch_xstrdup(const char *s)
{
	return s ? ch_xstrndup(s, strlen(s)) : NULL;
}

void ch_buf_reserve(ch_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = ch_xrealloc(b->data, cap);
	b->cap = cap;
}

void ch_buf_append(ch_buf *b, const void *p, size_t n)
{
	ch_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void ch_buf_puts(ch_buf *b, const char *s) { ch_buf_append(b, s, strlen(s)); }

void ch_buf_vprintf(ch_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	ch_buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void ch_buf_printf(ch_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ch_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void ch_buf_reset(ch_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void ch_buf_free(ch_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *ch_buf_steal(ch_buf *b, size_t *len_out)
{
	if (!b->data)
		ch_buf_reserve(b, 0), b->data[0] = '\0';
	char *p = b->data;
	if (len_out)
		*len_out = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int ch_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const unsigned char *x = a, *y = b;
	unsigned char d = (unsigned char)(alen != blen);
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
