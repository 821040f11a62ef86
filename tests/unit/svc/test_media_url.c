/* svc/json.c: signed media URLs expire, with a fixed clock. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/svc.h"

#define TTL 600
#define NOW 1700000123LL

static const ch_token_key KEY = {.bytes = "media-url-test-secret-0123456789", .len = 32};

static void init(void) { ch_svc_init(&(ch_svc_opts){.key = &KEY, .media_max_bytes = 1024, .media_url_ttl = TTL}); }

TestSuite(media_url, .init = init);

/* Splits "/api/media/<id>?c=<company>&e=<e>&sig=<hex>". */
static void parse(const char *url, long long *id, long long *company, char e[32], char sig[80])
{
	cr_assert_eq(sscanf(url, "/api/media/%lld?c=%lld&e=%31[0-9]&sig=%79[0-9a-f]", id, company, e, sig), 4,
	             "URL shape: %s", url);
}

Test(media_url, shape_and_rounded_expiry)
{
	char url[CH_SVC_MEDIA_URL_MAX], e[32], sig[80];
	long long id, company;
	ch_svc_media_url(7, 42, NOW, url);
	parse(url, &id, &company, e, sig);
	cr_assert_eq(id, 42);
	cr_assert_eq(company, 7);
	long long exp = atoll(e);
	cr_assert_eq(exp, (NOW / TTL + 2) * TTL);
	cr_assert_gt(exp - NOW, TTL, "valid for more than one ttl");
	cr_assert_leq(exp - NOW, 2 * TTL, "and at most two");
	cr_assert_eq(strlen(sig), 32);
	cr_assert_eq(ch_svc_media_url_expiry(NOW), exp);
	/* the same URL for a whole ttl window (browser caches), a new one after */
	char again[CH_SVC_MEDIA_URL_MAX];
	int64_t window = NOW / TTL * TTL;
	ch_svc_media_url(7, 42, window, again);
	cr_assert_str_eq(again, url);
	ch_svc_media_url(7, 42, window + TTL - 1, again);
	cr_assert_str_eq(again, url);
	ch_svc_media_url(7, 42, window + TTL, again);
	cr_assert_str_neq(again, url);
}

Test(media_url, valid_until_e_then_expired)
{
	char url[CH_SVC_MEDIA_URL_MAX], e[32], sig[80];
	long long id, company;
	ch_svc_media_url(7, 42, NOW, url);
	parse(url, &id, &company, e, sig);
	long long exp = atoll(e);
	cr_assert_eq(ch_svc_media_sig_check(7, 42, e, sig, NOW), CH_OK);
	cr_assert_eq(ch_svc_media_sig_check(7, 42, e, sig, exp - 1), CH_OK);
	cr_assert_eq(ch_svc_media_sig_check(7, 42, e, sig, exp), CH_ERR_TOKEN_EXPIRED);
	cr_assert_eq(ch_svc_media_sig_check(7, 42, e, sig, exp + 86400), CH_ERR_TOKEN_EXPIRED);
}

Test(media_url, anything_altered_is_not_ours)
{
	char url[CH_SVC_MEDIA_URL_MAX], e[32], sig[80], other[40];
	long long id, company;
	ch_svc_media_url(7, 42, NOW, url);
	parse(url, &id, &company, e, sig);
	long long exp = atoll(e);
	cr_assert_eq(ch_svc_media_sig_check(8, 42, e, sig, NOW), CH_ERR_NO_TOKEN, "other company");
	cr_assert_eq(ch_svc_media_sig_check(7, 43, e, sig, NOW), CH_ERR_NO_TOKEN, "other media");
	snprintf(other, sizeof other, "%lld", exp + TTL);
	cr_assert_eq(ch_svc_media_sig_check(7, 42, other, sig, NOW), CH_ERR_NO_TOKEN, "a later e");
	snprintf(other, sizeof other, "%lld", NOW - 1);
	cr_assert_eq(ch_svc_media_sig_check(7, 42, other, sig, NOW), CH_ERR_NO_TOKEN,
	             "an earlier e is a forgery, not an expiry");
	static const char *const bad_e[] = {NULL, "", "0", "-1", "+1700001000", "01700001000", "17000 1", "1e9",
	                                    "9999999999999999999"};
	for (size_t i = 0; i < sizeof bad_e / sizeof bad_e[0]; i++)
		cr_assert_eq(ch_svc_media_sig_check(7, 42, bad_e[i], sig, NOW), CH_ERR_NO_TOKEN, "e case %zu", i);
	char s2[80];
	snprintf(s2, sizeof s2, "%s", sig);
	s2[0] = s2[0] == 'a' ? 'b' : 'a';
	cr_assert_eq(ch_svc_media_sig_check(7, 42, e, s2, NOW), CH_ERR_NO_TOKEN, "altered sig");
	s2[0] = sig[0];
	s2[31] = '\0';
	cr_assert_eq(ch_svc_media_sig_check(7, 42, e, s2, NOW), CH_ERR_NO_TOKEN, "short sig");
	cr_assert_eq(ch_svc_media_sig_check(7, 42, e, NULL, NOW), CH_ERR_NO_TOKEN, "no sig");
	/* another key signs other URLs */
	static const ch_token_key k2 = {.bytes = "another-media-url-secret-0123456", .len = 32};
	ch_svc_init(&(ch_svc_opts){.key = &k2, .media_url_ttl = TTL});
	cr_assert_eq(ch_svc_media_sig_check(7, 42, e, sig, NOW), CH_ERR_NO_TOKEN, "other key");
}
