/* static.h — the files under web/, served from memory, precompressed.
 *
 * Loaded once at start-up (before the loop runs), so serving never touches the
 * disk on the network thread and never compresses anything per request. Each
 * file gets its MIME type from its extension; a compressible one (text, JSON,
 * JavaScript, source maps, SVG, icons) also gets a gzip variant (zlib, level 9)
 * and a brotli variant (quality 11), each kept only when it is smaller than
 * the file. Every variant has its own strong ETag.
 *
 * The widget bundles of `make build` (esbuild, into build/web/) are overlaid
 * on web/: a file of the bundle directory replaces the file of web/ with the
 * same path. A bundle older than one of the sources its source map lists is
 * skipped (its sources are served instead), and so is a missing bundle
 * directory; both with a warning. A file X of the bundle directory may come
 * with X.gz and X.br beside it (compressed by the build: Swagger UI's large
 * bundle): those are its variants, not files of their own, unless older than X.
 * Threading: load before the loop; lookups on the network thread.
 */
#ifndef CH_NET_STATIC_H
#define CH_NET_STATIC_H

#include <stddef.h>

typedef enum ch_static_enc { CH_ENC_IDENTITY, CH_ENC_GZIP, CH_ENC_BR, CH_ENC_COUNT } ch_static_enc;

typedef struct ch_static_variant {
	const char *data; /* NULL: this coding is not kept for the file */
	size_t len;
	char etag[32];    /* "\"<16 hex>\"", "\"<16 hex>-gz\"", "\"<16 hex>-br\"" */
} ch_static_variant;

typedef struct ch_static_file {
	const char *path;  /* URL path, "/chat-widget/widget-script.js" */
	const char *mime;
	ch_static_variant v[CH_ENC_COUNT]; /* v[CH_ENC_IDENTITY] is the file itself */
	unsigned encodings; /* bit (1u << enc) for each variant kept; identity always */
	unsigned precompressed; /* bit (1u << enc) for each coding read from a file of the build, not compressed here */
} ch_static_file;

/* Loads every regular file under bundle_dir (NULL: none), then every one
 * under dir that no bundle file replaces. Returns how many files, or -1 when
 * dir is unreadable. */
int ch_static_load(const char *dir, const char *bundle_dir);
/* The file for a URL path ("/" and "/x/" map to index.html). NULL if none. */
const ch_static_file *ch_static_find(const char *path);
/* Whether "/x" names a directory with an index.html (served at "/x/", where
 * its relative links resolve: the server redirects there). */
int ch_static_is_dir(const char *path);
void ch_static_free(void);

/* The coding to answer with, from a request's Accept-Encoding (borrowed; NULL
 * when absent) and the codings the file has (bits 1u << enc): the highest
 * q-value among them, ties going to br, then gzip, then identity; q=0 refuses
 * a coding, `*` stands for every coding not listed. Identity is acceptable
 * unless refused, below any coding the client lists, and is the answer when
 * nothing else is acceptable (a server may ignore the header). Pure. */
ch_static_enc ch_static_choose_encoding(const char *accept_encoding, unsigned available);
/* "identity", "gzip" or "br" (the Content-Encoding value). */
const char *ch_static_enc_name(ch_static_enc e);

#endif
