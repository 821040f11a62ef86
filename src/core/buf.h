/* buf.h — memory and byte helpers.
 *
 * ch_xmalloc & co abort on out-of-memory: a chat server that cannot allocate
 * has nothing better to do. ch_buf is a growable byte buffer that always keeps
 * a NUL after its content (not counted in len) so it can be handed to C string
 * APIs, but wire data is always used with its length.
 * Threading: no shared state; a ch_buf belongs to one thread at a time.
 */
#ifndef CH_CORE_BUF_H
#define CH_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

void *ch_xmalloc(size_t n);
void *ch_xcalloc(size_t n, size_t size);
void *ch_xrealloc(void *p, size_t n);
/* Returns a new NUL-terminated copy of s (s may be NULL → NULL). */
char *ch_xstrdup(const char *s);
/* Returns a new NUL-terminated copy of the n bytes at s. */
char *ch_xstrndup(const char *s, size_t n);

typedef struct ch_str {
	const char *p; /* borrowed, not necessarily NUL-terminated */
	size_t len;
} ch_str;

typedef struct ch_buf {
	char *data; /* owned; NUL-terminated after len */
	size_t len;
	size_t cap;
} ch_buf;

#define CH_BUF_INIT {NULL, 0, 0}

void ch_buf_reserve(ch_buf *b, size_t extra);
void ch_buf_append(ch_buf *b, const void *p, size_t n);
void ch_buf_puts(ch_buf *b, const char *s);
void ch_buf_printf(ch_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ch_buf_vprintf(ch_buf *b, const char *fmt, va_list ap);
void ch_buf_reset(ch_buf *b); /* len = 0, keeps memory */
void ch_buf_free(ch_buf *b);
/* Takes the buffer's memory; the ch_buf is left empty. Caller frees with free(). */
char *ch_buf_steal(ch_buf *b, size_t *len_out);

/* Constant-time comparison of two byte strings (lengths may differ). */
int ch_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
