/* static.c — in-memory, precompressed copy of web/ and the widget bundles
 * (see static.h). Compression happens here, once, at load: gzip at level 9 and
 * brotli at quality 11 cost far too much CPU to run per request, and a file
 * served a million times is compressed once.
 * Threading: ch_static_load and ch_static_free before and after the loop
 * (the load compresses on a few threads of its own, joined before it
 * returns); ch_static_find and the pure helpers anywhere (the table is
 * read-only while the loop runs). */
#include "net/static.h"

#include <brotli/encode.h>
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/log.h"

#define MAX_FILE_BYTES (16u << 20)

static ch_static_file *files;
static size_t n_files, cap_files;

typedef struct mime_entry {
	const char *ext, *mime;
	int compressible; /* text-like: worth a gzip and a brotli variant */
} mime_entry;

static const mime_entry mimes[] = {
	{".html", "text/html; charset=utf-8", 1}, {".js", "text/javascript; charset=utf-8", 1},
	{".mjs", "text/javascript; charset=utf-8", 1}, {".css", "text/css; charset=utf-8", 1},
	{".json", "application/json; charset=utf-8", 1}, {".svg", "image/svg+xml", 1},
	{".png", "image/png", 0}, {".jpg", "image/jpeg", 0}, {".jpeg", "image/jpeg", 0},
	{".gif", "image/gif", 0}, {".ico", "image/x-icon", 1}, {".webp", "image/webp", 0},
	{".txt", "text/plain; charset=utf-8", 1}, {".map", "application/json; charset=utf-8", 1},
	{".woff2", "font/woff2", 0}, {".mp3", "audio/mpeg", 0}, {".ogg", "audio/ogg", 0},
	{".wav", "audio/wav", 0},
};

static const mime_entry *mime_of(const char *path)
{
	static const mime_entry other = {"", "application/octet-stream", 0};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof mimes / sizeof mimes[0]; i++)
		if (!strcmp(dot, mimes[i].ext))
			return &mimes[i];
	return &other;
}

/* ---- compression --------------------------------------------------------- */

/* A gzip member (RFC 1952) of in, or NULL. */
static char *gzip_of(const char *in, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	/* windowBits 15 + 16: a gzip header and trailer instead of zlib's */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, (uLong)len);
	char *out = ch_xmalloc(cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* A brotli stream (RFC 7932) of in, or NULL. */
static char *brotli_of(const char *in, size_t len, size_t *out_len)
{
	size_t cap = BrotliEncoderMaxCompressedSize(len);
	if (!cap)
		return NULL;
	char *out = ch_xmalloc(cap);
	*out_len = cap;
	if (!BrotliEncoderCompress(BROTLI_MAX_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_DEFAULT_MODE, len,
	                           (const uint8_t *)in, out_len, (uint8_t *)out)) {
		free(out);
		return NULL;
	}
	return out;
}

/* Keeps a compressed variant only when it saves bytes; takes ownership of data. */
static void set_variant(ch_static_file *sf, ch_static_enc e, char *data, size_t len, const char *suffix)
{
	if (!data || len >= sf->v[CH_ENC_IDENTITY].len) {
		free(data);
		return;
	}
	sf->v[e].data = ch_xrealloc(data, len);
	sf->v[e].len = len;
	size_t n = strlen(sf->v[CH_ENC_IDENTITY].etag); /* "\"<hex>\"": the suffix goes before the quote */
	snprintf(sf->v[e].etag, sizeof sf->v[e].etag, "%.*s-%s\"", (int)(n - 1), sf->v[CH_ENC_IDENTITY].etag,
	         suffix);
	sf->encodings |= 1u << e;
}

/* ---- the table ----------------------------------------------------------- */

static void clear_file(ch_static_file *sf)
{
	for (int e = 0; e < CH_ENC_COUNT; e++)
		free((void *)sf->v[e].data);
	memset(sf->v, 0, sizeof sf->v);
	sf->encodings = 0;
}

static ch_static_file *new_slot(const char *url)
{
	if (n_files == cap_files) {
		cap_files = cap_files ? cap_files * 2 : 64;
		files = ch_xrealloc(files, cap_files * sizeof *files);
	}
	ch_static_file *sf = &files[n_files++];
	memset(sf, 0, sizeof *sf);
	sf->path = ch_xstrdup(url);
	return sf;
}

/* Takes ownership of data. */
static void set_file(const char *url, char *data, size_t len)
{
	ch_static_file *sf = new_slot(url);
	sf->mime = mime_of(url)->mime;
	sf->v[CH_ENC_IDENTITY].data = data;
	sf->v[CH_ENC_IDENTITY].len = len;
	sf->encodings = 1u << CH_ENC_IDENTITY;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)data[i]) * 1099511628211ull;
	snprintf(sf->v[CH_ENC_IDENTITY].etag, sizeof sf->v[CH_ENC_IDENTITY].etag, "\"%016llx\"",
	         (unsigned long long)h);
}

/* The codings the build did not provide precompressed (see attach_precompressed). */
static void compress_file(ch_static_file *sf)
{
	const char *data = sf->v[CH_ENC_IDENTITY].data;
	size_t len = sf->v[CH_ENC_IDENTITY].len, zl = 0, bl = 0;
	if (!mime_of(sf->path)->compressible || !len)
		return;
	if (!(sf->precompressed & (1u << CH_ENC_GZIP))) {
		char *z = gzip_of(data, len, &zl);
		set_variant(sf, CH_ENC_GZIP, z, zl, "gz");
	}
	if (!(sf->precompressed & (1u << CH_ENC_BR))) {
		char *b = brotli_of(data, len, &bl);
		set_variant(sf, CH_ENC_BR, b, bl, "br");
	}
}

/* Brotli at quality 11 runs at about 1 MB/s: the files are compressed by a few
 * threads, largest first, each thread taking the next file (every file's
 * variants are written by one thread only). Start-up only, before the loop. */
typedef struct compress_job {
	ch_static_file **order;
	size_t n;
	atomic_size_t next;
} compress_job;

static void *compress_thread(void *arg)
{
	compress_job *j = arg;
	for (size_t i; (i = atomic_fetch_add(&j->next, 1)) < j->n;)
		compress_file(j->order[i]);
	return NULL;
}

static int larger_first(const void *a, const void *b)
{
	size_t la = (*(ch_static_file *const *)a)->v[CH_ENC_IDENTITY].len;
	size_t lb = (*(ch_static_file *const *)b)->v[CH_ENC_IDENTITY].len;
	return la < lb ? 1 : la > lb ? -1 : 0;
}

/* An earlier file with the same bytes (a symbolic link in web/: the API
 * document at /openapi.json and /swagger/v1/swagger.json), or NULL. */
static const ch_static_file *same_bytes(size_t i)
{
	const ch_static_variant *v = &files[i].v[CH_ENC_IDENTITY];
	for (size_t k = 0; k < i; k++) {
		const ch_static_variant *o = &files[k].v[CH_ENC_IDENTITY];
		if (o->len == v->len && !strcmp(o->etag, v->etag) && !memcmp(o->data, v->data, v->len) &&
		    !strcmp(files[k].mime, files[i].mime) && files[k].precompressed == files[i].precompressed)
			return &files[k];
	}
	return NULL;
}

/* A copy of the variants of a file with the same bytes: compressed once. */
static void copy_variants(ch_static_file *to, const ch_static_file *from)
{
	for (int e = CH_ENC_GZIP; e < CH_ENC_COUNT; e++) {
		if (!(from->encodings & (1u << e)) || (to->encodings & (1u << e)))
			continue;
		char *d = ch_xmalloc(from->v[e].len);
		memcpy(d, from->v[e].data, from->v[e].len);
		to->v[e] = (ch_static_variant){.data = d, .len = from->v[e].len};
		memcpy(to->v[e].etag, from->v[e].etag, sizeof to->v[e].etag);
		to->encodings |= 1u << e;
	}
}

static void compress_all(void)
{
	compress_job j = {.order = ch_xmalloc((n_files ? n_files : 1) * sizeof *j.order), .n = 0};
	const ch_static_file **twin = ch_xcalloc(n_files ? n_files : 1, sizeof *twin);
	atomic_init(&j.next, 0);
	for (size_t i = 0; i < n_files; i++)
		if (!(twin[i] = same_bytes(i)))
			j.order[j.n++] = &files[i];
	qsort(j.order, j.n, sizeof *j.order, larger_first);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t t[4];
	int n = 0;
	for (; n < (cpus > 4 ? 4 : cpus) - 1; n++) /* plus this thread */
		if (pthread_create(&t[n], NULL, compress_thread, &j))
			break;
	compress_thread(&j);
	while (n-- > 0)
		pthread_join(t[n], NULL);
	for (size_t i = 0; i < n_files; i++)
		if (twin[i])
			copy_variants(&files[i], twin[i]);
	free(twin);
	free(j.order);
}

/* The bytes of a file (at most MAX_FILE_BYTES and a chunk), or NULL. Caller frees. */
static char *read_file(const char *fs_path, size_t *len)
{
	FILE *f = fopen(fs_path, "rb");
	if (!f)
		return NULL;
	ch_buf b = CH_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < MAX_FILE_BYTES)
		ch_buf_append(&b, chunk, n);
	fclose(f);
	*len = b.len;
	char *data = ch_buf_steal(&b, NULL);
	return data ? data : ch_xstrdup("");
}

static int add_file(const char *fs_path, const char *url)
{
	size_t len = 0;
	char *data = read_file(fs_path, &len);
	if (!data)
		return -1;
	set_file(url, data, len);
	return 0;
}

/* ---- precompressed variants ------------------------------------------------ */

static const struct {
	ch_static_enc e;
	const char *ext, *etag_suffix;
} precompressed_exts[] = {{CH_ENC_GZIP, ".gz", "gz"}, {CH_ENC_BR, ".br", "br"}};

static int newer(const struct stat *a, const struct stat *b);

/* Whether fs is X.gz or X.br beside a file X: a variant the build compressed
 * (scripts/swagger-ui.js), loaded with X rather than served on its own. */
static int is_precompressed(const char *fs)
{
	size_t n = strlen(fs);
	char base[4200];
	struct stat st;
	for (size_t i = 0; i < sizeof precompressed_exts / sizeof precompressed_exts[0]; i++) {
		size_t el = strlen(precompressed_exts[i].ext);
		if (n > el && !strcmp(fs + n - el, precompressed_exts[i].ext)) {
			snprintf(base, sizeof base, "%.*s", (int)(n - el), fs);
			return stat(base, &st) == 0 && S_ISREG(st.st_mode);
		}
	}
	return 0;
}

/* X.gz and X.br beside the file just loaded from fs (X) become its variants,
 * so that a large file (Swagger UI's bundle: seconds of brotli at quality 11)
 * costs nothing at start. A variant older than X is ignored (compressed here). */
static void attach_precompressed(ch_static_file *sf, const char *fs)
{
	struct stat st, vst;
	char vfs[4200];
	if (stat(fs, &st))
		return;
	for (size_t i = 0; i < sizeof precompressed_exts / sizeof precompressed_exts[0]; i++) {
		snprintf(vfs, sizeof vfs, "%s%s", fs, precompressed_exts[i].ext);
		size_t len = 0;
		char *data;
		if (stat(vfs, &vst) || !S_ISREG(vst.st_mode) || newer(&st, &vst) || !(data = read_file(vfs, &len)))
			continue;
		sf->precompressed |= 1u << precompressed_exts[i].e;
		set_variant(sf, precompressed_exts[i].e, data, len, precompressed_exts[i].etag_suffix);
	}
}

/* ---- the bundle overlay -------------------------------------------------- */

static int newer(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec != b->st_mtim.tv_sec ? a->st_mtim.tv_sec > b->st_mtim.tv_sec
	                                              : a->st_mtim.tv_nsec > b->st_mtim.tv_nsec;
}

/* A bundle (its .js path in the bundle dir, its URL) is stale when a source its
 * map lists (relative to the map's URL, i.e. a file under web_dir) is missing
 * or newer than the bundle; why names it. No map: never stale. */
static int bundle_stale(const char *js_fs, const char *js_url, const char *web_dir, char *why, size_t wn)
{
	char map_fs[4200];
	struct stat bst, sst;
	snprintf(map_fs, sizeof map_fs, "%s.map", js_fs);
	if (stat(js_fs, &bst) || stat(map_fs, &sst))
		return 0;
	json_t *map = json_load_file(map_fs, 0, NULL);
	json_t *sources = json_object_get(map, "sources");
	const char *slash = strrchr(js_url, '/');
	int url_dir_len = slash ? (int)(slash - js_url) : 0;
	int stale = 0;
	size_t i;
	json_t *s;
	json_array_foreach(sources, i, s) {
		const char *src = json_string_value(s);
		if (!src || strstr(src, "://"))
			continue;
		char fs[4200];
		if (src[0] == '/')
			snprintf(fs, sizeof fs, "%s%s", web_dir, src);
		else
			snprintf(fs, sizeof fs, "%s%.*s/%s", web_dir, url_dir_len, js_url, src);
		if (stat(fs, &sst) || newer(&sst, &bst)) {
			snprintf(why, wn, "%s", fs);
			stale = 1;
			break;
		}
	}
	json_decref(map);
	return stale;
}

typedef struct walk_ctx {
	const char *web_dir; /* set when walking the bundle dir: check staleness against it */
	int overlaid, stale;
} walk_ctx;

static const ch_static_file *find_exact(const char *path);

/* An overlay file to skip: a stale bundle, or the map of one. */
static int skip_overlay(walk_ctx *w, const char *fs, const char *url)
{
	size_t n = strlen(fs);
	char js_fs[4200], js_url[4200], why[4200];
	if (n > 7 && !strcmp(fs + n - 7, ".js.map")) {
		snprintf(js_fs, sizeof js_fs, "%.*s", (int)(n - 4), fs);
		snprintf(js_url, sizeof js_url, "%.*s", (int)(strlen(url) - 4), url);
		return bundle_stale(js_fs, js_url, w->web_dir, why, sizeof why);
	}
	if (n > 3 && !strcmp(fs + n - 3, ".js") && bundle_stale(fs, url, w->web_dir, why, sizeof why)) {
		CH_WARN("the bundle %s is older than its source %s: serving the sources instead (make build "
		        "rebuilds it)", fs, why);
		w->stale++;
		return 1;
	}
	return 0;
}

static int walk(const char *dir, const char *url_prefix, walk_ctx *w)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue; /* no dotfiles, no . / .. */
		char fs[4096], url[4096];
		snprintf(fs, sizeof fs, "%s/%s", dir, e->d_name);
		snprintf(url, sizeof url, "%s/%s", url_prefix, e->d_name);
		struct stat st;
		if (stat(fs, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = walk(fs, url, w);
		} else if (S_ISREG(st.st_mode)) {
			if (w->web_dir ? is_precompressed(fs) || skip_overlay(w, fs, url) : find_exact(url) != NULL)
				continue; /* web/: what a bundle replaces is never loaded (nor compressed) */
			rc = add_file(fs, url);
			if (w->web_dir && rc == 0) {
				attach_precompressed(&files[n_files - 1], fs);
				w->overlaid++;
			}
		}
	}
	closedir(d);
	return rc;
}

/* The bundles first, then what web/ has that they do not replace. */
int ch_static_load(const char *dir, const char *bundle_dir)
{
	if (bundle_dir && *bundle_dir) {
		walk_ctx w = {.web_dir = dir};
		if (walk(bundle_dir, "", &w) < 0 || (w.overlaid == 0 && w.stale == 0))
			CH_WARN("no widget bundles in %s (make build writes them with esbuild): serving the widgets' "
			        "sources from %s", bundle_dir, dir);
		else
			CH_DEBUG("%d files of %s served in place of %s", w.overlaid, bundle_dir, dir);
	}
	walk_ctx plain = {0};
	int rc = walk(dir, "", &plain);
	compress_all();
	if (rc < 0) {
		CH_ERROR("cannot read static files from %s", dir);
		return -1;
	}
	return (int)n_files;
}

static const ch_static_file *find_exact(const char *path)
{
	for (size_t i = 0; i < n_files; i++)
		if (!strcmp(files[i].path, path))
			return &files[i];
	return NULL;
}

const ch_static_file *ch_static_find(const char *path)
{
	const ch_static_file *f = find_exact(path);
	size_t n = strlen(path);
	if (f || !n || path[n - 1] != '/')
		return f;
	char idx[4096];
	snprintf(idx, sizeof idx, "%sindex.html", path);
	return find_exact(idx);
}

int ch_static_is_dir(const char *path)
{
	char idx[4096];
	size_t n = strlen(path);
	if (!n || path[n - 1] == '/')
		return 0;
	snprintf(idx, sizeof idx, "%s/index.html", path);
	return find_exact(idx) != NULL;
}

void ch_static_free(void)
{
	for (size_t i = 0; i < n_files; i++) {
		free((void *)files[i].path);
		clear_file(&files[i]);
	}
	free(files);
	files = NULL;
	n_files = cap_files = 0;
}

/* ---- Accept-Encoding ----------------------------------------------------- */

const char *ch_static_enc_name(ch_static_enc e)
{
	return e == CH_ENC_BR ? "br" : e == CH_ENC_GZIP ? "gzip" : "identity";
}

/* A qvalue (RFC 9110 §12.4.2) in thousandths, or -1 when malformed. */
static int parse_q(const char *s, size_t n)
{
	if (n == 0 || n > 5 || (s[0] != '0' && s[0] != '1') || (n > 1 && s[1] != '.'))
		return -1;
	int q = s[0] == '1' ? 1000 : 0;
	for (size_t i = 2, scale = 100; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9' || (q == 1000 && s[i] != '0'))
			return -1;
		q += (s[i] - '0') * (int)scale;
	}
	return q;
}

static int is_ows(char c) { return c == ' ' || c == '\t'; }

/* The q of one element's parameters ("; q=0.5; x=y"): 1000 when absent, -1 when malformed. */
static int element_q(const char *p, const char *end)
{
	int q = 1000;
	while (p < end) {
		if (*p != ';')
			return -1;
		p++;
		while (p < end && is_ows(*p))
			p++;
		const char *name = p;
		while (p < end && *p != '=' && *p != ';')
			p++;
		const char *value = p < end && *p == '=' ? p + 1 : p, *vend = value;
		while (vend < end && *vend != ';' && !is_ows(*vend))
			vend++;
		if (p - name == 1 && (*name == 'q' || *name == 'Q'))
			q = parse_q(value, (size_t)(vend - value));
		p = vend;
		while (p < end && is_ows(*p))
			p++;
	}
	return q;
}

enum { C_ID, C_GZIP, C_BR, C_STAR, C_N };

static int coding_of(const char *p, size_t n)
{
	static const struct { const char *name; int c; } names[] = {
		{"identity", C_ID}, {"gzip", C_GZIP}, {"x-gzip", C_GZIP}, {"br", C_BR}, {"*", C_STAR}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == n && !strncasecmp(p, names[i].name, n))
			return names[i].c;
	return -1;
}

/* q (thousandths) of each coding the header lists; -1 where it is not listed. */
static void listed_q(const char *ae, int q[C_N])
{
	for (int c = 0; c < C_N; c++)
		q[c] = -1;
	for (const char *p = ae; *p;) {
		while (*p == ',' || is_ows(*p))
			p++;
		const char *name = p;
		while (*p && *p != ',' && *p != ';' && !is_ows(*p))
			p++;
		const char *name_end = p, *elem_end = p + strcspn(p, ",");
		while (p < elem_end && is_ows(*p))
			p++;
		const char *params_end = elem_end;
		while (params_end > p && is_ows(params_end[-1]))
			params_end--;
		int c = coding_of(name, (size_t)(name_end - name));
		int eq = element_q(p, params_end);
		if (c >= 0 && eq >= 0 && eq > q[c])
			q[c] = eq; /* a coding listed twice: its best q */
		p = elem_end;
	}
}

ch_static_enc ch_static_choose_encoding(const char *accept_encoding, unsigned available)
{
	if (!accept_encoding || !*accept_encoding)
		return CH_ENC_IDENTITY;
	int q[C_N];
	listed_q(accept_encoding, q);
	static const struct { ch_static_enc e; int c; } order[] = {{CH_ENC_BR, C_BR}, {CH_ENC_GZIP, C_GZIP}};
	ch_static_enc best = CH_ENC_IDENTITY;
	/* identity not mentioned (neither by name nor by *): acceptable, below every listed coding */
	int best_q = q[C_ID] >= 0 ? q[C_ID] : q[C_STAR] >= 0 ? q[C_STAR] : 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (!(available & (1u << order[i].e)))
			continue;
		int cq = q[order[i].c] >= 0 ? q[order[i].c] : q[C_STAR];
		if (cq > 0 && (cq > best_q || (cq == best_q && best == CH_ENC_IDENTITY))) { /* ties: br, gzip, identity */
			best = order[i].e;
			best_q = cq;
		}
	}
	return best;
}
