/* static.h — the files under web/, served from memory.
 *
 * Loaded once at start-up (before the loop runs), so serving never touches the
 * disk on the network thread. Each file gets its MIME type from its extension
 * and a strong ETag from its content hash.
 * Threading: load before the loop; lookups on the network thread.
 */
#ifndef CH_NET_STATIC_H
#define CH_NET_STATIC_H

#include <stddef.h>

typedef struct ch_static_file {
	const char *path;  /* URL path, "/chat-widget/widget-script.js" */
	const char *mime;
	const char *data;
	size_t len;
	char etag[24];     /* "\"<16 hex>\"" */
} ch_static_file;

/* Loads every regular file under dir; returns how many, or -1 on error. */
int ch_static_load(const char *dir);
/* The file for a URL path ("/" and "/x/" map to index.html). NULL if none. */
const ch_static_file *ch_static_find(const char *path);
void ch_static_free(void);

#endif
