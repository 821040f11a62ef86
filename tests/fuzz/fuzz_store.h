/* fuzz_store.h — what the fuzz targets that run on a real store share: a
 * database in a fresh temporary directory, seeded by the target, the
 * services on it, and the API with the options of a test server (no rate
 * limits in the way, the server's default body and value limits).
 * Header-only: each target is its own program. Aborts on any failure. */
#ifndef CH_FUZZ_STORE_H
#define CH_FUZZ_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/password.h"
#include "svc/svc.h"

static ch_token_key fuzz_key = {.bytes = "fuzz-key-0123456789abcdef-0123456789", .len = 32};

/* A new store in /tmp, seeded by seed(tx, arg) in one write job; services on it. */
static inline ch_store *fuzz_store_open(ch_store_fn seed, void *arg)
{
	char dir[] = "/tmp/chathub-fuzz-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	char path[256];
	snprintf(path, sizeof path, "%s/chathub.db", dir);
	ch_store *s;
	ch_store_opts so = {.path = path, .busy_timeout_ms = 1000};
	if (ch_store_open(&so, &s, NULL) || ch_store_write_sync(s, seed, arg) || ch_password_init())
		abort();
	ch_svc_init(&(ch_svc_opts){.store = s, .key = &fuzz_key, .media_max_bytes = 65536});
	return s;
}

static inline ch_api *fuzz_api_new(ch_store *s)
{
	ch_api_opts ao = {.key = &fuzz_key, .pw_cost = CH_PW_COST_MIN, .company_token_ttl_s = 3600,
	                  .login_per_minute = 1000000, .rate_per_second = 1000000, .rate_burst = 1000000,
	                  .max_body_bytes = 1 << 20, .anon_body_bytes = 16384, .max_json_values = 100000,
	                  .media_max_bytes = 65536, .visitor_token_ttl_s = 3600, .sessions_per_minute = 1000000,
	                  .metrics_token = ""};
	return ch_api_new(&ao);
}

#endif
