/* libFuzzer target: the inbound channel endpoint, POST
 * /api/channel/{guid}/inbound, end to end on a real store. The input is the
 * raw body; the harness signs it with the organization's channel secret (as a
 * messaging channel would), so the fuzzer explores the parser and the one
 * write job behind the signature — field validation, media decoding, client
 * upsert, dedupe — and, when the first byte is odd, the same body unsigned or
 * wrongly signed, which must be refused before anything is parsed. Nothing may
 * crash, leak, or answer without a status; an unsigned body is never a 200. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/password.h"
#include "svc/svc.h"

#define GUID "00000000-0000-4000-8000-00000000c0de"
#define SECRET "fuzz-channel-secret-0123456789"

static ch_store *store;
static ch_api *api;
static ch_token_key key = {.bytes = "fuzz-key-0123456789abcdef-0123456789", .len = 32};

static ch_err seed(ch_store_tx *tx, void *arg)
{
	int64_t co, org;
	(void)arg;
	ch_err e = ch_store_company_create(tx, "fuzz", "Fuzz", "$argon2id$v=19$m=8,t=1,p=1$x$y", &co);
	if (!e)
		e = ch_store_org_create(tx, co, "Org", GUID, &org);
	if (!e)
		e = ch_store_org_secrets_set(tx, co, org, NULL, SECRET, NULL, -1);
	return e;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char dir[] = "/tmp/chathub-fuzz-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	char path[256];
	snprintf(path, sizeof path, "%s/chathub.db", dir);
	ch_store_opts so = {.path = path, .busy_timeout_ms = 1000};
	if (ch_store_open(&so, &store, NULL) || ch_store_write_sync(store, seed, NULL) || ch_password_init())
		abort();
	ch_svc_init(&(ch_svc_opts){.store = store, .key = &key, .media_max_bytes = 65536});
	ch_api_opts ao = {.store = store, .key = &key, .pw_cost = CH_PW_COST_MIN, .company_token_ttl_s = 3600,
	                  .login_per_minute = 1000000, .rate_per_second = 1000000, .rate_burst = 1000000,
	                  .max_body_bytes = 1 << 20, .anon_body_bytes = 16384, .max_json_values = 100000,
	                  .media_max_bytes = 65536, .visitor_token_ttl_s = 3600, .sessions_per_minute = 1000000,
	                  .metrics_token = ""};
	api = ch_api_new(&ao);
	return 0;
}

static char *sign(const uint8_t *body, size_t len)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)SECRET, strlen(SECRET));
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	char *sig = malloc(7 + 2 * sizeof mac + 1);
	memcpy(sig, "sha256=", 7);
	sodium_bin2hex(sig + 7, 2 * sizeof mac + 1, mac, sizeof mac);
	return sig;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0] % 4; /* 0, 2: signed; 1: unsigned; 3: signed, then one body byte changed */
	ch_req req = {0};
	req.method = CH_M_POST;
	req.path = strdup("/api/channel/" GUID "/inbound");
	snprintf(req.peer, sizeof req.peer, "127.0.0.1");
	req.content_type = strdup("application/json");
	ch_buf_append(&req.body, data + 1, size - 1);
	if (mode != 1)
		req.signature = sign(data + 1, size - 1);
	if (mode == 3 && req.body.len)
		req.body.data[req.body.len / 2] ^= 0x20;
	ch_resp resp = {0};
	ch_api_handle(api, &req, &resp);
	if (resp.status < 200 || resp.status > 599)
		abort();
	if (resp.status == 200 && (mode == 1 || (mode == 3 && req.body.len)))
		abort(); /* an unsigned or tampered body was accepted */
	ch_resp_free(&resp);
	ch_req_free(&req);
	return 0;
}
