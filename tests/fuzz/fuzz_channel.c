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
#include <string.h>

#include "fuzz_store.h"

#define GUID "00000000-0000-4000-8000-00000000c0de"
#define SECRET "fuzz-channel-secret-0123456789"

static ch_api *api;

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
	api = fuzz_api_new(fuzz_store_open(seed, NULL));
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
