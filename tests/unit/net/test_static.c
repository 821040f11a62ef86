/* Unit tests of the static files (net/static.c): the Accept-Encoding choice,
 * which files get which precompressed variants, and the bundle overlay with
 * its fallback to the sources. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/static.h"

#define ALL ((1u << CH_ENC_IDENTITY) | (1u << CH_ENC_GZIP) | (1u << CH_ENC_BR))
#define NO_BR ((1u << CH_ENC_IDENTITY) | (1u << CH_ENC_GZIP))
#define ONLY_ID (1u << CH_ENC_IDENTITY)

static ch_static_enc pick(const char *ae) { return ch_static_choose_encoding(ae, ALL); }

Test(accept_encoding, br_then_gzip_then_identity)
{
	cr_assert_eq(pick("gzip, deflate, br"), CH_ENC_BR, "a browser's header: brotli");
	cr_assert_eq(pick("gzip, deflate, br, zstd"), CH_ENC_BR);
	cr_assert_eq(pick("gzip, deflate"), CH_ENC_GZIP, "Chromium over plain http");
	cr_assert_eq(pick("deflate"), CH_ENC_IDENTITY, "nothing the server has");
	cr_assert_eq(ch_static_choose_encoding("gzip, br", NO_BR), CH_ENC_GZIP, "no brotli variant kept");
	cr_assert_eq(ch_static_choose_encoding("gzip, br", ONLY_ID), CH_ENC_IDENTITY, "nothing compressed");
}

Test(accept_encoding, absent_or_empty_means_identity)
{
	cr_assert_eq(pick(NULL), CH_ENC_IDENTITY);
	cr_assert_eq(pick(""), CH_ENC_IDENTITY);
	cr_assert_eq(pick("  ,  , "), CH_ENC_IDENTITY);
}

Test(accept_encoding, q_values_rank_and_zero_refuses)
{
	cr_assert_eq(pick("br;q=0, gzip"), CH_ENC_GZIP, "q=0 refuses brotli");
	cr_assert_eq(pick("br;q=0.0, gzip;q=0"), CH_ENC_IDENTITY, "both refused");
	cr_assert_eq(pick("gzip;q=0.9, br;q=0.5"), CH_ENC_GZIP, "the client prefers gzip");
	cr_assert_eq(pick("gzip;q=0.5, br;q=0.5"), CH_ENC_BR, "a tie goes to brotli");
	cr_assert_eq(pick("gzip;q=0.001"), CH_ENC_GZIP, "a listed coding beats identity not mentioned");
	cr_assert_eq(pick("identity;q=1, gzip;q=0.5"), CH_ENC_IDENTITY, "identity preferred by its q");
	cr_assert_eq(pick("identity, gzip"), CH_ENC_GZIP, "a tie with identity goes to the coding");
	cr_assert_eq(pick("br;q=1.0, gzip;q=1"), CH_ENC_BR);
	cr_assert_eq(pick("br;q=1.000"), CH_ENC_BR);
}

Test(accept_encoding, star_covers_what_is_not_listed)
{
	cr_assert_eq(pick("*"), CH_ENC_BR);
	cr_assert_eq(pick("br;q=0, *"), CH_ENC_GZIP, "br refused by name, gzip by the star");
	cr_assert_eq(pick("*;q=0"), CH_ENC_IDENTITY, "everything refused: identity all the same");
	cr_assert_eq(pick("gzip;q=0.2, *;q=0.5"), CH_ENC_BR, "br gets the star's 0.5");
	cr_assert_eq(pick("*;q=0.5, identity;q=0.8"), CH_ENC_IDENTITY);
}

Test(accept_encoding, names_and_parameters)
{
	cr_assert_eq(pick("GZIP"), CH_ENC_GZIP, "codings are case-insensitive");
	cr_assert_eq(pick("Br ; Q=0.7 , gzip ; q=0.3"), CH_ENC_BR, "whitespace around ; and q in capitals");
	cr_assert_eq(pick("x-gzip"), CH_ENC_GZIP, "the old alias");
	cr_assert_eq(pick("gzip;level=9;q=0.4, br;q=0.3"), CH_ENC_GZIP, "other parameters are ignored");
	cr_assert_eq(pick("brotli, gzipped, zstd"), CH_ENC_IDENTITY, "no prefix matches");
	cr_assert_eq(pick("gzip;q=0.9,br;q=0.95"), CH_ENC_BR, "no spaces");
	cr_assert_eq(pick("br;q=0, br;q=0.5"), CH_ENC_BR, "listed twice: its best q");
}

Test(accept_encoding, malformed_elements_are_ignored)
{
	cr_assert_eq(pick("br;q=2, gzip"), CH_ENC_GZIP, "q above 1");
	cr_assert_eq(pick("br;q=1.5, gzip"), CH_ENC_GZIP);
	cr_assert_eq(pick("br;q=0.1234, gzip"), CH_ENC_GZIP, "four decimals");
	cr_assert_eq(pick("br;q=.5, gzip"), CH_ENC_GZIP);
	cr_assert_eq(pick("br;q=, gzip;q=0.1"), CH_ENC_GZIP, "an empty q");
	cr_assert_eq(pick("br;q=-1, gzip;q=0.1"), CH_ENC_GZIP);
	cr_assert_eq(pick("br junk, gzip;q=0.1"), CH_ENC_GZIP, "junk after the name");
	cr_assert_eq(pick(";;;,,,;q=1"), CH_ENC_IDENTITY);
	cr_assert_eq(pick("gzip;q=0.5;"), CH_ENC_GZIP, "a trailing semicolon");
}

Test(accept_encoding, long_hostile_headers_end)
{
	size_t n = 64 * 1024;
	char *s = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = ";,= q0.1"[i % 8];
	s[n] = '\0';
	cr_assert_eq(pick(s), CH_ENC_IDENTITY);
	memset(s, ';', n);
	cr_assert_eq(pick(s), CH_ENC_IDENTITY);
	for (size_t i = 0; i + 8 < n; i += 8)
		memcpy(s + i, "br;q=0,", 7), s[i + 7] = ' ';
	cr_assert_eq(pick(s), CH_ENC_IDENTITY);
	free(s);
	cr_assert_str_eq(ch_static_enc_name(CH_ENC_BR), "br");
	cr_assert_str_eq(ch_static_enc_name(CH_ENC_GZIP), "gzip");
	cr_assert_str_eq(ch_static_enc_name(CH_ENC_IDENTITY), "identity");
}

/* ---- loading ------------------------------------------------------------- */

static char root[256];

static void put(const char *rel, const char *data, size_t len)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	FILE *f = fopen(p, "wb");
	cr_assert_not_null(f, "%s", p);
	fwrite(data, 1, len, f);
	fclose(f);
}

static void put_text(const char *rel, const char *s) { put(rel, s, strlen(s)); }

/* Sets a file's modification time to now + secs. */
static void age(const char *rel, int secs)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	struct timespec t[2];
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec += secs;
	t[1] = t[0];
	cr_assert_eq(utimensat(AT_FDCWD, p, t, 0), 0);
}

static char *repeat(const char *s, int n)
{
	size_t l = strlen(s);
	char *out = malloc(l * (size_t)n + 1);
	for (int i = 0; i < n; i++)
		memcpy(out + l * (size_t)i, s, l);
	out[l * (size_t)n] = '\0';
	return out;
}

static void make_root(void)
{
	snprintf(root, sizeof root, "/tmp/chathub-static-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
}

static void drop_root(void)
{
	ch_static_free();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(static_load, .init = make_root, .fini = drop_root);

Test(static_load, compressible_files_get_smaller_variants_with_their_own_etags)
{
	char *js = repeat("export const greeting = 'hello, world';\n", 200);
	put_text("web/app.js", js);
	put_text("web/tiny.txt", "a");
	char png[2048];
	for (size_t i = 0; i < sizeof png; i++)
		png[i] = (char)(i * 7919 % 251);
	put("web/pic.png", png, sizeof png);
	char dir[300];
	snprintf(dir, sizeof dir, "%s/web", root);
	cr_assert_eq(ch_static_load(dir, NULL), 3);

	const ch_static_file *f = ch_static_find("/app.js");
	cr_assert_not_null(f);
	cr_assert_eq(f->encodings, ALL);
	cr_assert_eq(f->v[CH_ENC_IDENTITY].len, strlen(js));
	cr_assert_eq(memcmp(f->v[CH_ENC_IDENTITY].data, js, strlen(js)), 0);
	cr_assert_lt(f->v[CH_ENC_GZIP].len, 200);
	cr_assert_lt(f->v[CH_ENC_BR].len, f->v[CH_ENC_GZIP].len, "brotli beats gzip on text");
	cr_assert_eq((unsigned char)f->v[CH_ENC_GZIP].data[0], 0x1f, "a gzip member");
	cr_assert_eq((unsigned char)f->v[CH_ENC_GZIP].data[1], 0x8b);
	size_t n = strlen(f->v[CH_ENC_IDENTITY].etag);
	cr_assert_eq(n, 18, "\"<16 hex>\"");
	cr_assert_eq(strncmp(f->v[CH_ENC_GZIP].etag, f->v[CH_ENC_IDENTITY].etag, n - 1), 0);
	cr_assert_str_eq(f->v[CH_ENC_GZIP].etag + n - 1, "-gz\"");
	cr_assert_str_eq(f->v[CH_ENC_BR].etag + n - 1, "-br\"");

	f = ch_static_find("/tiny.txt");
	cr_assert_eq(f->encodings, ONLY_ID, "a variant that is not smaller is not kept");
	cr_assert_null(f->v[CH_ENC_GZIP].data);
	f = ch_static_find("/pic.png");
	cr_assert_eq(f->encodings, ONLY_ID, "images are not compressed");
	cr_assert_str_eq(f->mime, "image/png");
	free(js);
}

static void bundle_fixture(void)
{
	put_text("web/w/widget-script.js", "import { a } from '../shared/a.js';\nconsole.log(a);\n");
	put_text("web/shared/a.js", "export const a = 1;\n");
	put_text("web/w/index.html", "<!doctype html><title>x</title>");
	put_text("bundles/w/widget-script.js", "console.log(1);\n//# sourceMappingURL=widget-script.js.map\n");
	put_text("bundles/w/widget-script.js.map",
	         "{\"version\":3,\"sources\":[\"../shared/a.js\",\"widget-script.js\"],\"mappings\":\"\"}");
	age("web/w/widget-script.js", -100);
	age("web/shared/a.js", -100);
}

Test(static_load, bundles_replace_their_sources)
{
	bundle_fixture();
	char web[300], bundles[300];
	snprintf(web, sizeof web, "%s/web", root);
	snprintf(bundles, sizeof bundles, "%s/bundles", root);
	cr_assert_eq(ch_static_load(web, bundles), 4, "the bundle and its map, a.js and index.html");
	const ch_static_file *f = ch_static_find("/w/widget-script.js");
	cr_assert_not_null(f);
	cr_assert(strstr(f->v[CH_ENC_IDENTITY].data, "sourceMappingURL"), "the bundle is served");
	cr_assert_not_null(ch_static_find("/w/widget-script.js.map"));
	cr_assert_not_null(ch_static_find("/shared/a.js"), "the sources stay reachable for the map");
	cr_assert_not_null(ch_static_find("/w/"), "index.html of web/");
	cr_assert_null(ch_static_find("/w"), "a directory without its slash is not its index");
	cr_assert(ch_static_is_dir("/w"), "but it is redirected there");
	cr_assert(!ch_static_is_dir("/w/"));
	cr_assert(!ch_static_is_dir("/shared"), "no index.html");
	cr_assert(!ch_static_is_dir("/nowhere"));
	cr_assert(!ch_static_is_dir(""));
}

Test(static_load, a_bundle_older_than_a_source_falls_back_to_the_sources)
{
	bundle_fixture();
	age("web/shared/a.js", 100);
	char web[300], bundles[300];
	snprintf(web, sizeof web, "%s/web", root);
	snprintf(bundles, sizeof bundles, "%s/bundles", root);
	cr_assert_eq(ch_static_load(web, bundles), 3);
	const ch_static_file *f = ch_static_find("/w/widget-script.js");
	cr_assert(strstr(f->v[CH_ENC_IDENTITY].data, "import"), "the source is served");
	cr_assert_null(ch_static_find("/w/widget-script.js.map"), "and not the stale map");
}

Test(static_load, a_missing_bundle_dir_serves_the_sources)
{
	bundle_fixture();
	char web[300], none[300];
	snprintf(web, sizeof web, "%s/web", root);
	snprintf(none, sizeof none, "%s/nowhere", root);
	cr_assert_eq(ch_static_load(web, none), 3);
	cr_assert(strstr(ch_static_find("/w/widget-script.js")->v[CH_ENC_IDENTITY].data, "import"));
}

Test(static_load, precompressed_variants_of_the_build_are_used_not_recompressed)
{
	char *js = repeat("console.log('swagger');\n", 400);
	put_text("web/index.html", "<!doctype html><title>x</title>");
	put_text("bundles/big/ui.js", js);
	put_text("bundles/big/ui.js.br", "BR-BYTES"); /* not real brotli: proves it is taken as it is */
	put_text("bundles/big/ui.js.gz", "GZ-BYTES");
	put_text("bundles/big/stale.js", js);
	put_text("bundles/big/stale.js.br", "OLD");
	age("bundles/big/stale.js.br", -100);
	put_text("bundles/lone.js.gz", "no base file: an ordinary file");
	char web[300], bundles[300];
	snprintf(web, sizeof web, "%s/web", root);
	snprintf(bundles, sizeof bundles, "%s/bundles", root);
	cr_assert_eq(ch_static_load(web, bundles), 4, "ui.js, stale.js, lone.js.gz, index.html");
	cr_assert_null(ch_static_find("/big/ui.js.br"), "a variant is not a file of its own");
	const ch_static_file *f = ch_static_find("/big/ui.js");
	cr_assert_eq(f->encodings, ALL);
	cr_assert_eq(f->v[CH_ENC_BR].len, 8);
	cr_assert_eq(memcmp(f->v[CH_ENC_BR].data, "BR-BYTES", 8), 0, "the build's brotli variant");
	cr_assert_eq(memcmp(f->v[CH_ENC_GZIP].data, "GZ-BYTES", 8), 0, "the build's gzip variant");
	cr_assert_str_eq(f->v[CH_ENC_BR].etag + strlen(f->v[CH_ENC_BR].etag) - 4, "-br\"");
	f = ch_static_find("/big/stale.js");
	cr_assert_eq(f->encodings, ALL, "an older variant is ignored: compressed at load instead");
	cr_assert_neq(memcmp(f->v[CH_ENC_BR].data, "OLD", 3), 0);
	cr_assert_eq((unsigned char)f->v[CH_ENC_GZIP].data[0], 0x1f);
	cr_assert_not_null(ch_static_find("/lone.js.gz"));
	free(js);
}

Test(static_load, files_with_the_same_bytes_are_compressed_once_and_served_alike)
{
	char *json = repeat("{\"openapi\": \"3.1.0\"},\n", 300);
	put_text("web/openapi.json", json);
	put_text("web/swagger/v1/swagger.json", json);
	char web[300];
	snprintf(web, sizeof web, "%s/web", root);
	cr_assert_eq(ch_static_load(web, NULL), 2);
	const ch_static_file *a = ch_static_find("/openapi.json"), *b = ch_static_find("/swagger/v1/swagger.json");
	cr_assert_eq(a->encodings, ALL);
	cr_assert_eq(b->encodings, ALL, "the twin has the same variants");
	for (int e = 0; e < CH_ENC_COUNT; e++) {
		cr_assert_eq(a->v[e].len, b->v[e].len);
		cr_assert_neq(a->v[e].data, b->v[e].data, "copies: each file frees its own");
		cr_assert_eq(memcmp(a->v[e].data, b->v[e].data, a->v[e].len), 0);
		cr_assert_str_eq(a->v[e].etag, b->v[e].etag);
	}
	free(json);
}
